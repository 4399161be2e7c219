import { describe, expect, it } from 'vitest';
import { MarshalError } from '../../model/errors.js';
import { currentLinkTarget, layout, releaseDir, releasesToPrune, versionOfLink } from './layout.js';

describe('layout', () => {
  it('names every path of a service', () => {
    expect(layout('/srv/deploy', 'api')).toEqual({
      serviceDir: '/srv/deploy/api',
      releasesDir: '/srv/deploy/api/releases',
      current: '/srv/deploy/api/current',
      runDir: '/srv/deploy/api/run',
      pidFile: '/srv/deploy/api/run/service.pid',
      versionFile: '/srv/deploy/api/run/service.version',
      startTimeFile: '/srv/deploy/api/run/service.start',
      exitFile: '/srv/deploy/api/run/service.exit',
      instance: '/srv/deploy/api/run/service',
      logsDir: '/srv/deploy/api/logs',
      logFile: '/srv/deploy/api/logs/service.log',
    });
    expect(releaseDir(layout('/srv/deploy/', 'api'), '1.4.0+b7')).toBe('/srv/deploy/api/releases/1.4.0+b7');
    expect(currentLinkTarget('v2')).toBe('releases/v2');
  });

  it.each([
    ['relative', 'api'],
    ['/srv', '../etc'],
    ['/srv', 'a/b'],
    ['/srv', ''],
  ])('refuses root %j with service %j, for good', (root, service) => {
    const error = catchError(() => layout(root, service));
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.retryable).toBe(false);
  });

  it('refuses versions that are not safe directory names', () => {
    for (const version of ['..', '../x', 'a/b', '.hidden', '']) {
      expect(catchError(() => releaseDir(layout('/srv', 'api'), version)).code).toBe('PROVIDER_ERROR');
    }
  });
});

describe('versionOfLink', () => {
  it('reads the version of relative and absolute links', () => {
    expect(versionOfLink('releases/v2')).toBe('v2');
    expect(versionOfLink('releases/v2/')).toBe('v2');
    expect(versionOfLink('/srv/deploy/api/releases/1.0.0')).toBe('1.0.0');
  });

  it('returns null for links that are not ours', () => {
    expect(versionOfLink('/opt/app')).toBeNull();
    expect(versionOfLink('releases/../x')).toBeNull();
  });
});

describe('releasesToPrune', () => {
  const releases = [
    { version: 'v1', mtimeMs: 100 },
    { version: 'v2', mtimeMs: 200 },
    { version: 'v3', mtimeMs: 300 },
    { version: 'v4', mtimeMs: 400 },
    { version: 'v5', mtimeMs: 500 },
  ];

  it('keeps the newest `keep`, returns the rest oldest first', () => {
    expect(releasesToPrune(releases, 3, ['v5', 'v4'])).toEqual(['v1', 'v2']);
  });

  it('never prunes the new current or the previous one, which count towards keep', () => {
    expect(releasesToPrune(releases, 2, ['v1', 'v5'])).toEqual(['v2', 'v3', 'v4']);
    expect(releasesToPrune(releases, 3, ['v2', 'v1'])).toEqual(['v3', 'v4']);
  });

  it('keeps more than `keep` when more are protected', () => {
    expect(releasesToPrune(releases, 1, ['v1', 'v3'])).toEqual(['v2', 'v4', 'v5']);
  });

  it('ignores protected versions that are not there', () => {
    expect(releasesToPrune(releases, 2, ['v9'])).toEqual(['v1', 'v2', 'v3']);
  });

  it('prunes nothing when there are no more than `keep`', () => {
    expect(releasesToPrune(releases, 5, [])).toEqual([]);
    expect(releasesToPrune([], 2, ['v1'])).toEqual([]);
  });

  it('breaks mtime ties by name, newest name kept', () => {
    const tied = [
      { version: 'a', mtimeMs: 1 },
      { version: 'b', mtimeMs: 1 },
      { version: 'c', mtimeMs: 1 },
    ];
    expect(releasesToPrune(tied, 2, [])).toEqual(['a']);
  });
});

function catchError(fn: () => unknown): MarshalError {
  try {
    fn();
  } catch (err) {
    if (err instanceof MarshalError) return err;
    throw err;
  }
  throw new Error('expected a MarshalError');
}
