import { describe, expect, it } from 'vitest';
import type { TargetInspection } from '../../model/provider.js';
import { driftOf, liveVersion, type ProbeResult } from './drift.js';

const fine: TargetInspection = {
  current: 'v3',
  recorded: { pid: 40, version: 'v3', alive: true },
  strays: [],
  listener: { pid: 41, command: 'node server.mjs', version: 'v3', ours: true },
};

function probe(inspection: Partial<TargetInspection> | null, over: Partial<ProbeResult> = {}): ProbeResult {
  return {
    recorded: 'v3',
    spec: { process: { port: 7102 } },
    inspection: inspection === null ? null : { ...fine, ...inspection },
    health: { ok: true },
    hasRelease: true,
    ...over,
  };
}

describe('drift', () => {
  it('is none when the recorded process serves the recorded version', () => {
    expect(driftOf(probe({}))).toEqual([]);
    expect(liveVersion(probe({}))).toBe('v3');
  });

  it('names a dead recorded process answered for by an unrecorded old one (a start a killed Marshal never recorded)', () => {
    const r = probe({
      recorded: { pid: 40, version: 'v3', alive: false },
      strays: [{ pid: 12, version: 'v2' }],
      listener: { pid: 13, command: 'node server.mjs', version: 'v2', ours: false },
    });
    expect(driftOf(r)).toEqual([
      'recorded pid 40 is not running',
      'unrecorded instance pid 12 (v2)',
      'port 7102 is answered by pid 13 "node server.mjs" (v2)',
    ]);
    expect(liveVersion(r)).toBe('v2');
  });

  it('names a foreign listener, a failing health check, a wrong link and a silent port', () => {
    expect(
      driftOf(
        probe(
          { current: 'v2', listener: { pid: null, command: null, version: null, ours: false } },
          { health: { ok: false, reason: 'http://x/health answered 404 (expected 200)' } },
        ),
      ),
    ).toEqual([
      'current links to v2',
      'port 7102 is answered by a process of another user',
      'health: http://x/health answered 404 (expected 200)',
    ]);
    expect(driftOf(probe({ listener: null }))).toEqual(['nothing listens on port 7102']);
    expect(driftOf(probe({ recorded: null, listener: null }))).toEqual([
      'no process recorded',
      'nothing listens on port 7102',
    ]);
  });

  it('says nothing for a provider that cannot inspect (simulate)', () => {
    expect(driftOf(probe(null))).toEqual([]);
    expect(liveVersion(probe(null))).toBeNull();
  });
});
