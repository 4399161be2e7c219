/**
 * The benchmark harness itself must keep working: a smoke run with tiny sizes (one round, no
 * peers but make and the bare-Node floor, nothing written). Timing is not asserted here — it belongs to `npm run bench`.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

describe('benchmark harness (smoke)', () => {
  it('runs every workload through Marshal, make and the bare-Node floor and reports the table and the scale numbers', () => {
    const out = execFileSync(process.execPath, ['bench/run.mjs', '--smoke'], {
      cwd: root,
      encoding: 'utf8',
      stdio: 'pipe',
    });
    for (const workload of ['W1-smoke', 'W3-smoke']) {
      expect(out).toMatch(new RegExp(`\\| ${workload} \\| marshal \\| [0-9.]+ s \\|`));
      expect(out).toMatch(new RegExp(`\\| ${workload} \\| make \\| [0-9.]+ s \\|.*\\| 1\\.00× \\|`));
      expect(out).toMatch(new RegExp(`\\| ${workload} \\| node floor \\| [0-9.]+ s \\|`));
    }
    expect(out).toMatch(
      /\| simulated first deploy of 20 services × 50 hosts .*\| [0-9.]+ s, peak RSS \d+ MiB \|/,
    );
    expect(out).toMatch(/\| plan of its upgrade v1 → v2 .*\| [0-9.]+ s \|/);
    expect(out).toMatch(/\| simulated upgrade v1 → v2 \(1000 steps\) \| [0-9.]+ s, peak RSS \d+ MiB \|/);
    expect(out).toMatch(/\| simulated rollback v2 → v1 \(1000 steps\) \| [0-9.]+ s, peak RSS \d+ MiB \|/);
    expect(out).toMatch(/\| status of the 1000 targets, then history \| [0-9.]+ s, [0-9.]+ s \|/);
    expect(out).toMatch(
      /\| simulated first deploy of one group of 2000 hosts .*\| [0-9.]+ s, peak RSS \d+ MiB \|/,
    );
    expect(out).toMatch(
      /\| simulated first deploy of 5 services × 200 hosts \(1000 targets.*\| [0-9.]+ s, peak RSS \d+ MiB \|/,
    );
    expect(out).toMatch(
      /\| validate of 600 services \(\d+ kB; median of 1\) \| [0-9.]+ s, peak RSS \d+ MiB \|/,
    );
    expect(out).toMatch(/\| durable events\/s, one commit per event, one writer .*\| \d+ \|/);
    expect(out).toMatch(/\| durable events\/s, one commit per event, 16 writers .*\| \d+ \|/);
    expect(out).toMatch(/\| durable events\/s, group commit of 50 \(median of 3\) \| \d+ \|/);
  }, 120_000);
});
