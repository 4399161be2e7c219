import { describe, expect, it } from 'vitest';
import { LineSplitter, MAX_LINE } from './lines.js';

function split(chunks: (string | Buffer)[]): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line));
  for (const chunk of chunks) splitter.write(chunk);
  splitter.end();
  return lines;
}

describe('LineSplitter', () => {
  it('emits complete lines and the unterminated rest', () => {
    expect(split(['a\nb', 'c\n', 'd'])).toEqual(['a', 'bc', 'd']);
  });

  it('strips \\r\\n and keeps empty lines', () => {
    expect(split(['one\r\n\r\ntwo\n'])).toEqual(['one', '', 'two']);
  });

  it('joins a multi-byte character split across chunks', () => {
    const bytes = Buffer.from('é→\n');
    expect(split([bytes.subarray(0, 1), bytes.subarray(1, 3), bytes.subarray(3)])).toEqual(['é→']);
  });

  it('cuts a line that never ends', () => {
    const lines = split(['x'.repeat(MAX_LINE * 2 + 5)]);
    expect(lines.map((l) => l.length)).toEqual([MAX_LINE, MAX_LINE, 5]);
  });
});
