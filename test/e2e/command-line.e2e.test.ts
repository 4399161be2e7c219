/**
 * Malformed command lines through the real CLI: an error once, exit 2 — as text on stderr, or
 * with --json as one JSON document on stdout and nothing on stderr.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { marshal } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'marshal-command-line-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a malformed command line', () => {
  it('without a command is an error naming the commands, not a silent success', async () => {
    const bare = await marshal(dir, []);
    expect(bare).toMatchObject({ code: 2, stdout: '' });
    expect(bare.stderr).toMatch(
      /^error\[ARGUMENT_INVALID\]: marshal needs a command: init, validate, plan, deploy, .*, audit\nhint: /,
    );
    const audit = await marshal(dir, ['audit']);
    expect(audit.code).toBe(2);
    expect(audit.stderr).toMatch(/^error\[ARGUMENT_INVALID\]: marshal audit needs a command: verify\n/);
    const help = await marshal(dir, ['help', 'deplo']);
    expect(help.code).toBe(2);
    expect(help.stderr).toMatch(
      /^error\[ARGUMENT_INVALID\]: unknown command 'deplo' — did you mean "deploy"\?\n/,
    );
  });

  it('with --json is one JSON document on stdout, its suggestion on the same line', async () => {
    for (const [args, message] of [
      [['--json', 'audit'], 'marshal audit needs a command: verify'],
      [
        ['deploy', 'dev', '--servces', 'api', '--json'],
        "unknown option '--servces' — did you mean --services?",
      ],
    ] as const) {
      const result = await marshal(dir, [...args]);
      expect(result).toMatchObject({ code: 2, stderr: '' });
      expect(JSON.parse(result.stdout)).toEqual({
        error: { code: 'ARGUMENT_INVALID', message, hint: 'see `marshal help <command>`' },
      });
    }
  });
});
