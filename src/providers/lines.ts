/**
 * Splits a byte stream into lines for `io.log`. A line that never ends (a
 * progress bar, binary output) is cut at {@link MAX_LINE} so memory stays bounded.
 */
import { StringDecoder } from 'node:string_decoder';

/** Longest line kept whole; longer ones are emitted in pieces of this size. */
export const MAX_LINE = 16 * 1024;

export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(private readonly emit: (line: string) => void) {}

  /** Feeds a chunk; emits every complete line in it (without `\n` or `\r\n`). */
  write(chunk: Buffer | string): void {
    const text = this.pending + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    let start = 0;
    let newline = text.indexOf('\n', start);
    while (newline !== -1) {
      this.emit(stripCr(text.slice(start, newline)));
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    while (text.length - start > MAX_LINE) {
      this.emit(text.slice(start, start + MAX_LINE));
      start += MAX_LINE;
    }
    this.pending = text.slice(start);
  }

  /** Emits what is left (a last line without a newline). */
  end(): void {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    if (rest !== '') this.emit(stripCr(rest));
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
