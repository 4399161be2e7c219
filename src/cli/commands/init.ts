import { existsSync, writeFileSync } from 'node:fs';
import { STARTER_CONFIG } from '../../config/index.js';
import { MarshalError } from '../../model/errors.js';
import { configPath } from '../context.js';
import { type GlobalOptions, print, printJson } from '../output.js';

export async function run(globals: GlobalOptions): Promise<number> {
  const file = configPath(globals);
  if (existsSync(file)) {
    throw new MarshalError('ARGUMENT_INVALID', `${globals.file} already exists; not overwriting it`, {
      hint: 'pass -f <other path> to write elsewhere',
    });
  }
  writeFileSync(file, STARTER_CONFIG, { flag: 'wx' });
  if (globals.json) printJson({ written: file });
  else print(`wrote ${globals.file} — edit it, then run \`marshal validate\` and \`marshal plan <env>\``);
  return 0;
}
