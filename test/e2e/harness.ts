/**
 * End-to-end harness: runs the real CLI (bin/marshal.js → dist/) as a child
 * process in a temporary project, and cleans up every service process the
 * deploys started.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { processGroup } from '../../src/providers/procfs.js';
import { freePort } from '../../src/testing/provider-testkit.js';

export { freePort };

export const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
export const CLI = join(ROOT, 'bin/marshal.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  done: Promise<CliResult>;
  output(): string;
}

/** Starts `marshal <args>` in `cwd`; output is collected. `via` is a command that runs it (e.g. setpriv …). */
export function start(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
  via: string[] = [],
): Running {
  const [file = process.execPath, ...rest] = [...via, process.execPath];
  const child = spawn(file, [...rest, CLI, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', MARSHAL_ACTOR: 'e2e-tester', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) =>
      resolve({ code: code ?? (signal === 'SIGKILL' ? 137 : 128), stdout, stderr }),
    );
  });
  return { child, done, output: () => stdout + stderr };
}

export function marshal(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
  via: string[] = [],
): Promise<CliResult> {
  return start(cwd, args, env, via).done;
}

/** Runs marshal with --json and parses stdout. */
export async function marshalJson<T = Record<string, unknown>>(
  cwd: string,
  args: string[],
): Promise<{ code: number; json: T }> {
  const result = await marshal(cwd, [...args, '--json']);
  try {
    return { code: result.code, json: JSON.parse(result.stdout) as T };
  } catch {
    throw new Error(`not JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
}

export async function httpGet(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return { status: res.status, body: await res.text() };
}

export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Stops every supervised service process (`service.pid`, and `blue.pid`/`green.pid` for slots) under a project's deploy roots. */
export function stopServices(dir: string): void {
  const hosts = join(dir, '.marshal', 'hosts');
  if (!existsSync(hosts)) return;
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.pid') ? [join(d, e.name)] : [],
    );
  const pids = walk(hosts).map((pidFile) => Number(readFileSync(pidFile, 'utf8')));
  // And any a killed CLI started but never recorded: they carry their pid file's path.
  pids.push(...markedUnder(hosts));
  for (const pid of pids) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Process groups whose MARSHAL_INSTANCE lies under `dir`. */
function markedUnder(dir: string): number[] {
  const groups = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${entry}/environ`, 'latin1');
    } catch {
      continue;
    }
    if (!environ.split('\0').some((v) => v.startsWith(`MARSHAL_INSTANCE=${dir}/`))) continue;
    const group = processGroup(Number(entry));
    if (group !== null && group !== processGroup(process.pid)) groups.add(group);
  }
  return [...groups];
}

export interface TempProject {
  dir: string;
  write(path: string, text: string): void;
  cleanup(): void;
}

export function tempProject(files: Record<string, string> = {}): TempProject {
  const dir = mkdtempSync(join(tmpdir(), 'marshal-e2e-'));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  for (const [path, text] of Object.entries(files)) write(path, text);
  return {
    dir,
    write,
    cleanup: () => {
      stopServices(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ShopPorts {
  db: number;
  api: number;
  worker: number;
  web: number;
}

/** The examples/shop project in a temp dir, on free ports, with v1, v2 and a v3 whose api is broken. */
export async function shopProject(): Promise<TempProject & { ports: ShopPorts }> {
  const project = tempProject();
  const shop = join(ROOT, 'examples/shop');
  cpSync(join(shop, 'app'), join(project.dir, 'app'), { recursive: true });
  cpSync(join(shop, 'build.mjs'), join(project.dir, 'build.mjs'));
  cpSync(join(shop, 'marshal.yaml'), join(project.dir, 'marshal.yaml'));
  const ports = {
    db: await freePort(),
    api: await freePort(),
    worker: await freePort(),
    web: await freePort(),
  };
  project.write(
    'environments/dev.yaml',
    `environments:
  dev:
    groups:
      db:
        hosts:
          - name: dev-db-1
            vars: { db_port: ${ports.db} }
      app:
        hosts:
          - name: dev-app-1
            vars: { api_port: ${ports.api}, worker_port: ${ports.worker}, web_port: ${ports.web} }
`,
  );
  for (const args of [['v1'], ['v2'], ['v3', '--defect', 'api']]) {
    const build = spawn(process.execPath, ['build.mjs', ...args], { cwd: project.dir, stdio: 'ignore' });
    await new Promise((resolve) => build.on('close', resolve));
  }
  return { ...project, ports };
}
