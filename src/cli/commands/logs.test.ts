import { describe, expect, it } from 'vitest';
import { stepFilter } from './logs.js';

const STEPS = [
  'api/h1/upload',
  'api/h1/health',
  'api/h10/upload',
  'api2/h1/upload',
  'api/-/route-10',
  'rollback/api/h1/restore',
  'rollback/api2/h1/restore',
];

const selected = (step: string) => STEPS.filter(stepFilter(step));

describe('logs --step', () => {
  it('selects a step by its id, or every step under a path of whole segments; a trailing / changes nothing', () => {
    expect(selected('api/h1/upload')).toEqual(['api/h1/upload']);
    expect(selected('api/h1/upload/')).toEqual(['api/h1/upload']);
    // A service or a target, with its rollback steps; `api` is no prefix of `api2`, nor `api/h1` of `api/h10`.
    const api = [
      'api/h1/upload',
      'api/h1/health',
      'api/h10/upload',
      'api/-/route-10',
      'rollback/api/h1/restore',
    ];
    expect(selected('api')).toEqual(api);
    expect(selected('api/')).toEqual(api);
    expect(selected('api/h1')).toEqual(['api/h1/upload', 'api/h1/health', 'rollback/api/h1/restore']);
    expect(selected('rollback/')).toEqual(['rollback/api/h1/restore', 'rollback/api2/h1/restore']);
    // Part of a segment is no path: nothing matches, and the command says so.
    expect(selected('api/h')).toEqual([]);
    expect(selected('api/h1/up')).toEqual([]);
  });
});
