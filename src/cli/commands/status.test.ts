import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { TargetGroup } from '../../model/run.js';
import { versionsOf } from './status.js';

const group = (version: string, targets: string[] | null, count = targets?.length ?? 0, healthy = true) =>
  ({
    environment: 'prod',
    service: 'api',
    version,
    healthy,
    count,
    targets,
    runId: 1,
    updatedAt: 0,
  }) as TargetGroup;

// ANSI colours only on a terminal: strip them so the test reads the same anywhere.
const plain = stripVTControlCharacters;

describe('status: the version column', () => {
  it('shows the one version every target runs, or marks it unhealthy', () => {
    expect(plain(versionsOf([group('v2', ['h1', 'h2'])]))).toBe('v2');
    expect(plain(versionsOf([group('v2', ['h1'], 1, false)]))).toBe('v2 (unhealthy)');
  });

  it('names the targets of each version when mixed, and counts those of a fleet', () => {
    expect(plain(versionsOf([group('v1', ['h1']), group('v2', ['h2', 'h3'])]))).toBe('v1 (h1), v2 (h2, h3)');
    expect(plain(versionsOf([group('v2', null, 19_999), group('v1', ['h7'], 1, false)]))).toBe(
      'v2 (19999 targets), v1 (unhealthy) (h7)',
    );
  });
});
