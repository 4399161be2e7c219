/**
 * What the parts of the Provider contract share: the fixture a provider hands in (how to make
 * the provider, a fresh target, and run a shell command on that target's host), and the rig
 * each test works through — actions applied through the Provider interface, state set up and
 * observed only with shell commands on the host, so the same test holds for a directory on
 * this machine, an SSH host or a container. Kept apart from provider-contract.ts so the parts
 * can import it without importing the entry point that imports them.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` in these strings is shell parameter expansion
import { connect } from 'node:net';
import { MarshalError } from '../model/errors.js';
import type { Action, ProcessSpec, Provider, TargetContext } from '../model/provider.js';
import { HealthCheck } from '../model/schema.js';
import { shellQuote } from '../model/template.js';
import { type RecordingIO, recordingIO } from './provider-testkit.js';

/** What one provider hands the contract; `open` is called once per suite (starting hosts is slow). */
export interface ProviderFixture {
  open(): Promise<ProviderHost>;
}

export interface ProviderHost {
  /** A new provider, as one run gets; the suite closes it after each test. */
  newProvider(): Provider;
  /** A target of `service` in a deploy root of its own, empty, on the host. */
  newTarget(service: string, projectDir: string): Promise<TargetContext>;
  /**
   * Runs `command` with /bin/sh on the target's host, in its deploy root (created), as the
   * user the provider deploys as. Resolves with its stdout lines; rejects when it exits non-zero.
   */
  sh(target: TargetContext, command: string): Promise<string[]>;
  /** Where this machine reaches a port the host's processes listen on. */
  address: string;
  /** How a command on the host runs Node (the test service and foreign listeners are Node programs). */
  node: string;
  /** Stops the hosts; every process the tests left on them goes too. */
  close(): Promise<void>;
}

/** Local directories of the suite: artifacts are built on the machine that runs Marshal. */
export interface SuiteFiles {
  /** The project directory targets get. */
  work: string;
  /**
   * An artifact holding the test service (server.mjs: listens on PORT, answers its version),
   * lib/util.txt and link.txt, a symlink to server.mjs.
   */
  artifact: string;
  /** The same service in a read-only tree, as Bazel and Nix make them: directories 0555, files 0444. */
  readOnlyArtifact: string;
  /** The service with a `.marshal-release` of its own: a link to `../../outside.txt`. */
  markedArtifact: string;
}

export type HealthAction = Extract<Action, { kind: 'health' }>;

/** Registers `use` to receive each test's rig before the test runs (see runProviderContract). */
export type WhenRigReady = (use: (rig: ContractRig) => void) => void;

/** The service every contract test deploys; its directory on the host is `api/` under the deploy root. */
export const SERVICE = 'api';

/** Marks processes the tests start by hand, so the sweep after each test finds them. */
export const SWEEP_VARIABLE = 'MARSHAL_CONTRACT_ROOT';

/** A fixed clock for upload times: one second apart, so which release is newest never hangs on a tie. */
const FIRST_UPLOAD = 1_700_000_000;

/** One test's provider, target and host, with the moves the parts share. */
export class ContractRig {
  private uploads = 0;

  constructor(
    readonly provider: Provider,
    readonly target: TargetContext,
    private readonly host: ProviderHost,
    readonly files: SuiteFiles,
    /** A port no one listens on: the service's. */
    readonly port: number,
  ) {}

  /** A shell command on the host, in the deploy root. */
  sh(command: string): Promise<string[]> {
    return this.host.sh(this.target, command);
  }

  get node(): string {
    return this.host.node;
  }

  async apply(action: Action, io: RecordingIO = recordingIO()): Promise<RecordingIO> {
    await this.provider.apply(action, this.target, io);
    return io;
  }

  isDone(action: Action): Promise<boolean> {
    return this.provider.isDone(action, this.target, recordingIO());
  }

  /** The MarshalError `action` fails with, and what it logged; fails the test when it succeeds. */
  async failure(action: Action): Promise<{ error: MarshalError; log: string[] }> {
    const io = recordingIO();
    const error = await this.provider.apply(action, this.target, io).then(
      () => new Error(`expected ${action.kind} to fail`),
      (err: unknown) => err,
    );
    if (!(error instanceof MarshalError)) throw error;
    return { error, log: io.text() };
  }

  /** Uploads the test service as each of `versions`, in order, each a second after the last. */
  async upload(versions: string[], source = this.files.artifact): Promise<void> {
    for (const version of versions) {
      await this.apply({ kind: 'upload', version, source });
      this.uploads += 1;
      await this.sh(`touch -m -d @${FIRST_UPLOAD + this.uploads} api/releases/${version}/.marshal-release`);
    }
  }

  spec(version: string, overrides: Partial<ProcessSpec> = {}): ProcessSpec {
    return {
      command: `${shellQuote(this.node)} server.mjs`,
      port: this.port,
      env: { EXTRA: 'x' },
      stopTimeoutMs: 3000,
      version,
      ...overrides,
    };
  }

  /** Uploads (when needed), switches to and starts `version`. The start's log. */
  async deploy(version: string, overrides: Partial<ProcessSpec> = {}): Promise<RecordingIO> {
    const upload: Action = { kind: 'upload', version, source: this.files.artifact };
    if (!(await this.isDone(upload))) await this.upload([version]);
    await this.apply({ kind: 'switch', version, keep: 5 });
    return this.apply({ kind: 'start', process: this.spec(version, overrides) });
  }

  /** A health step for the test service at `version`; `watch` unless `settleMs` is null. */
  health(version: string, settleMs: number | null = 0, checkPort = this.port): HealthAction {
    const url = `http://${this.host.address}:${checkPort}/health`;
    return {
      kind: 'health',
      checks: [HealthCheck.parse({ http: { url, body: `ok ${version}` }, interval: 50 })],
      env: {},
      ...(settleMs === null ? {} : { watch: { settleMs, port: this.port } }),
    };
  }

  /** What the service's port answers at `/`. */
  async answer(): Promise<string> {
    return (await (await fetch(`http://${this.host.address}:${this.port}/`)).text()).trim();
  }

  /** The pid in run/service.pid, or null when there is none. */
  async recordedPid(): Promise<number | null> {
    const [pid] = await this.sh('cat api/run/service.pid 2>/dev/null || true');
    return pid === undefined ? null : Number(pid);
  }

  /** True when `pid` is a live process (not a zombie) on the host. */
  async alive(pid: number): Promise<boolean> {
    const state = `sed -n 's/^State:[[:space:]]*\\(.\\).*/\\1/p' /proc/${pid}/status 2>/dev/null`;
    const [answer] = await this.sh(`s=$(${state}); [ -n "$s" ] && [ "$s" != Z ] && echo yes || echo no`);
    return answer === 'yes';
  }

  /** The process groups whose members carry the service's instance marker, sorted. */
  async markedGroups(): Promise<number[]> {
    const lines = await this.sh(
      [
        'i="MARSHAL_INSTANCE=$(cd api && pwd -P)/run/service"',
        'for f in $(grep -lsxzF -- "$i" /proc/[0-9]*/environ); do',
        '  s=$(cat "${f%/environ}/stat" 2>/dev/null) || continue; s=${s##*\') \'}; set -- $s',
        '  [ "$1" = Z ] || echo "$3"',
        'done | sort -nu',
      ].join('\n'),
    );
    return lines.map(Number);
  }

  /**
   * Kills the process group `pgid`, as a crash or the OOM killer would, and waits until no
   * instance of the service is left alive.
   */
  async crash(pgid: number): Promise<void> {
    await this.sh(`kill -KILL -${pgid}`);
    for (let tries = 0; (await this.markedGroups()).length > 0; tries++) {
      if (tries > 100) throw new Error(`the service still runs after kill -KILL -${pgid}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The command line of `pid` on the host, its arguments joined by spaces. */
  async commandLine(pid: number): Promise<string> {
    const [line] = await this.sh(`tr '\\0' ' ' </proc/${pid}/cmdline; echo`);
    return (line ?? '').trim();
  }

  /**
   * Starts a listener on `port` that Marshal did not start (no marker), in its own session, in
   * `cwd` (relative to the deploy root): a one-line Node server, or the Node `script` in `cwd`
   * (given PORT and MARSHAL_VERSION). Resolves with its pid once the port answers.
   */
  async foreign(port: number, options: { cwd?: string; script?: string; version?: string } = {}) {
    const code = `require('http').createServer((q, s) => s.end('foreign')).listen(${port}, '127.0.0.1')`;
    const args = options.script === undefined ? `-e ${shellQuote(code)}` : shellQuote(options.script);
    const [pid] = await this.sh(
      [
        `r=$(pwd -P); cd -- ${shellQuote(options.cwd ?? '.')} || exit 1`,
        `export ${SWEEP_VARIABLE}="$r" PORT=${port} MARSHAL_VERSION=${shellQuote(options.version ?? 'foreign')}`,
        `setsid -f sh -c 'echo $$ >"$0"; exec "$@"' "$r/foreign-${port}.pid" ${shellQuote(this.node)} ${args} </dev/null >/dev/null 2>&1`,
        `n=0; until [ -s "$r/foreign-${port}.pid" ]; do n=$((n+1)); [ $n -lt 200 ] || exit 1; sleep 0.02; done`,
        `cat "$r/foreign-${port}.pid"`,
      ].join('\n'),
    );
    await listening(this.host.address, port);
    return Number(pid);
  }
}

/** `command` as a script that runs it in the deploy root `root` (created when missing). */
export function inDeployRoot(root: string, command: string): string {
  // The C locale: `ls` and `sort` order alike on every host.
  return `export LC_ALL=C\nmkdir -p -- ${shellQuote(root)} && cd -- ${shellQuote(root)} || exit 125\n${command}`;
}

/** A command line as messages show it: at most 80 characters, the 80th an ellipsis. */
export function shortened(commandLine: string): string {
  return commandLine.length > 80 ? `${commandLine.slice(0, 79)}…` : commandLine;
}

/** Resolves once `address:port` accepts a connection; rejects after 10 s. */
async function listening(address: string, port: number): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, address);
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listens on ${address}:${port}`);
}

/**
 * Kills, on the host, every process of the deploy root: those carrying a marker of a service
 * under it, and those the tests started by hand. Run after each test, through the fixture's shell.
 */
export const SWEEP = [
  'r=$(pwd -P)',
  `for f in $(grep -lszF -- "MARSHAL_INSTANCE=$r/" /proc/[0-9]*/environ; grep -lsxzF -- "${SWEEP_VARIABLE}=$r" /proc/[0-9]*/environ); do`,
  '  p=${f#/proc/}; kill -KILL "${p%/environ}" 2>/dev/null',
  'done',
  'exit 0',
].join('\n');
