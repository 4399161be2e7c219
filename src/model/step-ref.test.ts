import { describe, expect, it } from 'vitest';
import { formatStepRef, parseStepRef, targetPathOf, withinService } from './step-ref.js';

describe('step ids', () => {
  // As stores and docs hold them: none of these may change.
  const ids = {
    'api/h1/start': { service: 'api', target: 'h1', phase: 'start', rollback: false },
    'db/db-1/run:migrate': { service: 'db', target: 'db-1', phase: 'run:migrate', rollback: false },
    'rollback/db/db-1/restore': { service: 'db', target: 'db-1', phase: 'restore', rollback: true },
    'canary/-/weight-10': { service: 'canary', target: null, phase: 'weight-10', rollback: false },
    'canary/-/analysis-errors-2': {
      service: 'canary',
      target: null,
      phase: 'analysis-errors-2',
      rollback: false,
    },
    'rollback/canary/-/route-back': { service: 'canary', target: null, phase: 'route-back', rollback: true },
  };

  it.each(Object.entries(ids))('%s reads and writes as it always did', (id, ref) => {
    expect(parseStepRef(id)).toEqual(ref);
    expect(formatStepRef(ref)).toBe(id);
  });

  it('is no step id without a service, a host and a phase', () => {
    for (const id of ['api', 'api/h1', 'api/h1/', '/h1/start', 'api//start', 'rollback/api/h1'])
      expect(parseStepRef(id), id).toBeUndefined();
  });

  it('names the target and the place in its service a step has on screen', () => {
    expect(targetPathOf('rollback/api/h1/restore')).toBe('api/h1');
    expect(targetPathOf('canary/-/promote')).toBe('canary/-');
    expect(withinService('rollback/api/h1/restore')).toBe('h1/restore');
    expect(withinService('canary/-/weight-10')).toBe('-/weight-10');
  });
});
