/**
 * docs/benchmarks.md is written by `npm run bench`, all but its last section, which is written
 * by hand (what the time went to, what was tried): a full pass keeps it (bench/report.mjs).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NOTES_HEADING, notesOf } from '../bench/report.mjs';

const doc = readFileSync(new URL('../docs/benchmarks.md', import.meta.url), 'utf8');

describe('docs/benchmarks.md', () => {
  it('ends with the hand-written notes, which a full benchmark pass keeps', () => {
    const notes = notesOf(doc);
    expect(notes.startsWith(`${NOTES_HEADING}\n`)).toBe(true);
    // Everything after the heading is kept as it is: a measured section there would be kept
    // too, with the old numbers, beside the new one.
    expect(notes.slice(NOTES_HEADING.length).match(/^## /gm)).toBeNull();
  });

  it('has its notes found only under their own heading', () => {
    expect(notesOf('# Benchmarks\n\n## Scale\n\n| a | b |\n')).toBe('');
  });
});
