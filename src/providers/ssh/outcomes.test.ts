import { describe, expect, it } from 'vitest';
import {
  currentIs,
  parseReport,
  runs,
  startRefusal,
  stopLines,
  switchLines,
  switchRefusal,
  versionOfLink,
} from './outcomes.js';

const at = { service: 'api', serviceDir: 'deploy/api', host: 'web1' };

describe('parseReport', () => {
  it('keeps key=value lines, repeated keys in order', () => {
    const report = parseReport([
      'previous=releases/v1',
      'noise line',
      'pruned=v0',
      'pruned=v-1',
      'URL=x',
      'log=/a=b',
    ]);
    expect([...report]).toEqual([
      ['previous', ['releases/v1']],
      ['pruned', ['v0', 'v-1']],
      ['log', ['/a=b']],
    ]);
  });
});

describe('status answers', () => {
  it('current is a version only when its release directory exists', () => {
    expect(currentIs(parseReport(['current=releases/v2', 'releasedir=1']), 'v2')).toBe(true);
    expect(currentIs(parseReport(['current=releases/v2']), 'v2')).toBe(false);
    expect(currentIs(parseReport(['current=releases/v1', 'releasedir=1']), 'v2')).toBe(false);
  });

  it('runs a version only when the recorded process is alive', () => {
    expect(runs(parseReport(['alive=12', 'version=v2']), 'v2')).toBe(true);
    expect(runs(parseReport(['version=v2']), 'v2')).toBe(false);
    expect(runs(parseReport(['alive=12', 'version=v1']), 'v2')).toBe(false);
  });

  it('reads versions from links', () => {
    expect(versionOfLink('releases/v1.2')).toBe('v1.2');
    expect(versionOfLink('/srv/api/releases/v3/')).toBe('v3');
    expect(versionOfLink('somewhere/else')).toBeNull();
  });
});

describe('log lines', () => {
  it('of a switch, with pruned releases oldest first', () => {
    expect(switchLines(parseReport(['previous=releases/v2', 'pruned=v1', 'pruned=v0']), 'v3', 3)).toEqual([
      'current → v3 (was v2)',
      'pruned v0, v1 (keeping 3)',
    ]);
    expect(switchLines(parseReport(['previous=', 'already=1', 'prunefailed=v0']), 'v3', 3)).toEqual([
      'current → v3 (already)',
      'could not prune release v0',
    ]);
    expect(switchLines(parseReport(['previous=']), 'v1', 3)).toEqual(['current → v1 (was none)']);
  });

  it('of a stop', () => {
    expect(stopLines(parseReport(['stopping=42 v1', 'killed=42']), 3000)).toEqual([
      'stopping pid 42 (v1)',
      'pid 42 did not stop within 3.0s: killed',
    ]);
    expect(stopLines(parseReport(['stopping=42 ']), 3000)).toEqual(['stopping pid 42 (unknown version)']);
    expect(stopLines(parseReport([]), 3000)).toEqual([]);
  });
});

describe('refusals', () => {
  it('name the host and the remote path, and are not retryable', () => {
    expect(switchRefusal(parseReport(['missing=1']), 'v9', at)).toMatchObject({
      code: 'PROVIDER_ERROR',
      retryable: false,
      message: 'release v9 is missing or incomplete in ~/deploy/api/releases on web1',
    });
    expect(switchRefusal(parseReport(['notalink=1']), 'v9', at)?.hint).toBe(
      '~/deploy/api/current must be a symlink (or absent); move whatever is there away',
    );
    expect(switchRefusal(parseReport([]), 'v9', at)).toBeNull();
    expect(startRefusal(parseReport(['nocurrent=1']), { ...at, serviceDir: '/srv/api' }, null)?.message).toBe(
      'cannot start api on web1: /srv/api/current does not resolve',
    );
    expect(startRefusal(parseReport(['portheld=42 python3 -m http.server 8080']), at, 8080)).toMatchObject({
      code: 'PORT_IN_USE',
      retryable: false,
      message:
        'cannot start api on web1: port 8080 is held by pid 42 "python3 -m http.server 8080", not by a process Marshal started for api',
    });
    expect(startRefusal(parseReport(['portheld= ']), at, 8080)?.message).toContain(
      'held by a process this user cannot see (another user’s)',
    );
  });
});
