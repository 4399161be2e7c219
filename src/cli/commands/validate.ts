import { relative } from 'node:path';
import { readProject } from '../context.js';
import { type GlobalOptions, print, printJson } from '../output.js';

const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export async function run(globals: GlobalOptions): Promise<number> {
  const project = await readProject(globals);
  const services = Object.keys(project.config.services);
  const environments = Object.keys(project.config.environments);
  if (globals.json) {
    printJson({ valid: true, files: project.files, digest: project.digest, services, environments });
  } else {
    const files = project.files.map((f) => relative(process.cwd(), f) || f).join(', ');
    print(
      `ok: ${files} — ${count(services.length, 'service')}, ${count(environments.length, 'environment')} (${environments.join(', ')})`,
    );
    print(`config digest ${project.digest.slice(0, 12)}`);
  }
  return 0;
}
