import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance, suggest } from './suggest.js';

describe('suggest', () => {
  it('measures edits', () => {
    expect(editDistance('helth', 'health')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests close words and prefixes, nothing for rewrites', () => {
    expect(suggest('dbb', ['api', 'db'])).toBe('db');
    expect(suggest('env', ['environments', 'services'])).toBe('environments');
    expect(suggest('db', ['ui'])).toBeUndefined();
    expect(suggest('zzzz', ['services'])).toBeUndefined();
  });

  it('prefers a typo over a prefix, and ignores case', () => {
    expect(suggest('Health', ['healthy', 'health'])).toBe('health');
    expect(suggest('servic', ['serviceAccounts', 'service'])).toBe('service');
  });

  it('formats a hint', () => {
    expect(didYouMean('helth', ['health'])).toBe(' — did you mean "health"?');
    expect(didYouMean('x', ['health'])).toBe('');
  });
});
