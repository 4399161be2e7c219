/**
 * The remote shell scripts of the ssh provider, as data. Each builder returns
 * the exact text one exec channel runs (POSIX sh in the login user's home);
 * nothing here does I/O. Every value enters a script in exactly one place —
 * the `name=value` header built by {@link assign}, quoted with shellQuote —
 * and the body only ever reads `"$name"`, so no value can change a script's meaning.
 *
 * Scripts answer on stdout with `key=value` report lines (outcomes.ts reads them);
 * commands run under {@link groupRun} print their process group first, so an
 * abort can kill everything they started.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` in these strings is shell parameter expansion
import { MarshalError } from '../../model/errors.js';
import { shellQuote } from '../../model/template.js';
import { RMTREE } from '../shell.js';
import { checkedVersion, RELEASE_MARKER, type RemoteLayout } from './layout.js';

/** Prefix of the line a grouped command prints first: `\x1epgid <pid>`. */
export const PGID_MARK = '\u001epgid ';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `a=1 b='x y'`: the one place values are quoted. */
export function assign(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([name, value]) => `${checkedName(name)}=${shellQuote(value)}`)
    .join(' ');
}

function checkedName(name: string): string {
  if (!NAME.test(name)) {
    throw new MarshalError('PROVIDER_ERROR', `"${name}" is not a valid environment variable name`, {
      retryable: false,
    });
  }
  return name;
}

/** `export A='1' …`, then names whose value the script computed itself. */
function exportLine(env: Record<string, string>, computed: readonly string[]): string {
  const parts = [assign(env), ...computed].filter((p) => p !== '');
  return `export ${parts.join(' ')}`;
}

/** Facts every command and process gets, as the local provider gives them. */
export interface CommandFacts {
  service: string;
  environment: string;
  host: string;
}

function marshalEnv(facts: CommandFacts): Record<string, string> {
  return {
    MARSHAL_SERVICE: facts.service,
    MARSHAL_ENVIRONMENT: facts.environment,
    MARSHAL_HOST: facts.host,
  };
}

/**
 * Shell functions over /proc: `alive PID` (not a zombie: PID 1 may never reap
 * it), `started PID` (kernel start time, guards against pid reuse), `ours`
 * (run/service.pid names our live process; sets $pid), `running PGID` (a
 * live member of the group is left).
 */
export const PROCESS_FUNCTIONS = [
  `st() { read -r s 2>/dev/null <"/proc/$1/stat" || return 1; s=\${s##*') '}; }`,
  'alive() { kill -0 "$1" 2>/dev/null || return 1; st "$1" || return 0; case $s in Z*) return 1;; esac; }',
  'started() { st "$1" && set -- $s && [ $# -ge 20 ] && shift 19 && echo "$1"; }',
  'ours() { read -r pid 2>/dev/null <run/service.pid || return 1; case $pid in ""|*[!0-9]*) return 1;; esac; alive "$pid" || return 1; read -r rec 2>/dev/null <run/service.start || rec=; now=$(started "$pid"); [ -z "$rec" ] || [ -z "$now" ] || [ "$rec" = "$now" ]; }',
  `group() { kill -0 "-$1" 2>/dev/null || return 1; [ -r /proc/self/stat ] || return 0; for f in /proc/[0-9]*/stat; do read -r s 2>/dev/null <"$f" || continue; s=\${s##*') '}; set -- "$1" $s; [ "$4" = "$1" ] && [ "$2" != Z ] && return 0; done; return 1; }`,
  'running() { alive "$1" || group "$1"; }',
].join('\n');

/** Stops the recorded process group (TERM, `$ticks` tenths of a second, KILL) and forgets it. */
export const STOP_RECORDED = [
  'if ours; then read -r was 2>/dev/null <run/service.version || was=; echo "stopping=$pid $was"',
  '  kill -TERM "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null',
  '  n=0; while running "$pid" && [ "$n" -lt "$ticks" ]; do sleep 0.1; n=$((n+1)); done',
  '  if running "$pid"; then kill -KILL "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null; echo "killed=$pid"; fi',
  'fi',
  'rm -f run/service.pid run/service.start run/service.version',
].join('\n');

function ticks(stopTimeoutMs: number): string {
  return String(Math.max(1, Math.ceil(stopTimeoutMs / 100)));
}

/**
 * What `isDone` needs, in one round trip: `current=<link>`, `hascurrent=1`,
 * `uploaded=1` / `releasedir=1` (for `version`), `alive=<pid>`, `version=<running version>`.
 */
export function statusScript(l: RemoteLayout, version: string | null): string {
  const release =
    version === null
      ? []
      : [
          `[ -f "releases/$v/${RELEASE_MARKER}" ] && echo uploaded=1`,
          '[ -d "releases/$v" ] && echo releasedir=1',
        ];
  return [
    assign(version === null ? { sd: l.serviceDir } : { sd: l.serviceDir, v: checkedVersion(version) }),
    'cd -- "$sd" 2>/dev/null || exit 0',
    PROCESS_FUNCTIONS,
    'l=$(readlink current 2>/dev/null) && echo "current=$l"',
    '{ [ -e current ] || [ -L current ]; } && echo hascurrent=1',
    ...release,
    'ours && echo "alive=$pid"',
    'read -r was 2>/dev/null <run/service.version && echo "version=$was"',
    'exit 0',
  ].join('\n');
}

/**
 * Receives a tar on stdin into releases/.upload-<suffix>, writes the marker
 * into it, then renames it into place: the release appears complete or not at
 * all. An already complete release is kept (stdin is drained). `already=1`, `replaced=1`.
 * A release keeps the artifact's modes: a root its owner cannot write is opened for the marker only.
 */
export function uploadScript(l: RemoteLayout, version: string, suffix: string, marker: string): string {
  const v = checkedVersion(version);
  return [
    assign({ sd: l.serviceDir, v, tmp: `releases/.upload-${v}-${suffix}`, marker }),
    RMTREE,
    'mkdir -p -- "$sd/releases" && cd -- "$sd" || exit 125',
    `if [ -f "releases/$v/${RELEASE_MARKER}" ]; then cat >/dev/null; echo already=1; exit 0; fi`,
    'mkdir -- "$tmp" && tar -xf - --no-same-owner -C "$tmp" || { rmtree "$tmp"; exit 4; }',
    'ro=; [ -w "$tmp" ] || { ro=1; chmod u+w -- "$tmp"; }',
    `printf '%s\\n' "$marker" >"$tmp/${RELEASE_MARKER}" || { rmtree "$tmp"; exit 4; }`,
    '[ -z "$ro" ] || chmod u-w -- "$tmp"',
    'if [ -e "releases/$v" ]; then echo replaced=1; rmtree "releases/$v"; fi',
    'mv -- "$tmp" "releases/$v" || { rmtree "$tmp"; exit 4; }',
  ].join('\n');
}

/**
 * Points `current` at releases/<version> (a temp link renamed over it), then
 * prunes marked releases beyond `keep`, newest first, never the new one nor
 * the one it replaced. Reports `previous=<link>`, `already=1`, `pruned=<v>`…;
 * exits 3 with `missing=1` when the release is not complete, 4 with `notalink=1`
 * when `current` cannot be replaced.
 */
export function switchScript(l: RemoteLayout, version: string, keep: number, suffix: string): string {
  return [
    assign({
      sd: l.serviceDir,
      v: checkedVersion(version),
      keep: String(keep),
      tmp: `current.tmp-${suffix}`,
    }),
    RMTREE,
    `cd -- "$sd" 2>/dev/null && [ -f "releases/$v/${RELEASE_MARKER}" ] || { echo missing=1; exit 3; }`,
    'prev=$(readlink current 2>/dev/null) || prev=',
    'echo "previous=$prev"',
    'if [ "$prev" = "releases/$v" ]; then echo already=1',
    'else ln -s "releases/$v" "$tmp" && mv -T -f "$tmp" current || { rm -f "$tmp"; echo notalink=1; exit 4; }; fi',
    'prev=${prev#releases/}',
    'kept=1; [ -n "$prev" ] && [ "$prev" != "$v" ] && [ -d "releases/$prev" ] && kept=2',
    `for m in $(ls -1t releases/*/${RELEASE_MARKER} 2>/dev/null); do`,
    `  r=\${m#releases/}; r=\${r%/${RELEASE_MARKER}}`,
    '  if [ "$r" = "$v" ] || [ "$r" = "$prev" ]; then continue; fi',
    '  if [ "$kept" -lt "$keep" ]; then kept=$((kept+1)); else rmtree "releases/$r" && echo "pruned=$r" || echo "prunefailed=$r"; fi',
    'done',
    'exit 0',
  ].join('\n');
}

export interface StartOptions {
  command: string;
  port: number | null;
  env: Record<string, string>;
  stopTimeoutMs: number;
  version: string;
  /** A short form of the command for the log's header line. */
  summary: string;
  /** Leave a live process that already runs `version` alone (`running=<pid>`). */
  keepRunning: boolean;
}

/**
 * (Re)starts the service: stops the recorded group, then starts the command
 * from the real path of `current` in a new session (setsid), stdin from
 * /dev/null, output appended to logs/service.log, and records version, start
 * time and pid (the pid last: it commits). Reports `stopping=`, `killed=`,
 * `pid=`, `log=`; exits 3 with `nocurrent=1` when `current` does not resolve.
 */
export function startScript(l: RemoteLayout, facts: CommandFacts, o: StartOptions): string {
  const env = { ...o.env, ...marshalEnv(facts), ...(o.port === null ? {} : { PORT: String(o.port) }) };
  const keep = o.keepRunning
    ? [
        'if ours && read -r was 2>/dev/null <run/service.version && [ "$was" = "$v" ]; then echo "running=$pid"; exit 0; fi',
      ]
    : [];
  return [
    assign({
      sd: l.serviceDir,
      v: checkedVersion(o.version),
      ticks: ticks(o.stopTimeoutMs),
      cmd: o.command,
      summary: o.summary,
    }),
    'mkdir -p -- "$sd/run" "$sd/logs" && cd -- "$sd" || exit 125',
    PROCESS_FUNCTIONS,
    ...keep,
    STOP_RECORDED,
    'dir=$(cd current 2>/dev/null && pwd -P) || { echo nocurrent=1; exit 3; }',
    'log=$PWD/logs/service.log',
    `printf -- '--- %s marshal: starting %s: %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$v" "$summary" >>"$log"`,
    exportLine(env, ['MARSHAL_VERSION="$v"', 'MARSHAL_RELEASE_DIR="$dir"']),
    '(cd -- "$dir" && exec setsid sh -c "$cmd") </dev/null >>"$log" 2>&1 &',
    'pid=$!',
    'echo "$v" >run/.version.tmp && mv -f run/.version.tmp run/service.version',
    'started "$pid" >run/.start.tmp; mv -f run/.start.tmp run/service.start',
    'echo "$pid" >run/.pid.tmp && mv -f run/.pid.tmp run/service.pid || exit 4',
    'echo "pid=$pid"',
    'echo "log=$log"',
  ].join('\n');
}

/** Stops the recorded process and removes `current` (a restore to "nothing deployed"). Reports `removed=<link>`. */
export function removeScript(l: RemoteLayout, stopTimeoutMs: number): string {
  return [
    assign({ sd: l.serviceDir, ticks: ticks(stopTimeoutMs) }),
    'cd -- "$sd" 2>/dev/null || exit 0',
    PROCESS_FUNCTIONS,
    STOP_RECORDED,
    'if [ -L current ] || [ -e current ]; then l=$(readlink current 2>/dev/null); rm -f current || exit 4; echo "removed=$l"; fi',
  ].join('\n');
}

/**
 * The last line of a command script: runs `command` as the leader of a new
 * process group whose id it prints first ({@link PGID_MARK}), and exits with
 * its status (`setsid -w`).
 */
function groupRun(): string {
  return 'exec setsid -w sh -c "$cmd" </dev/null';
}

function grouped(command: string): string {
  return `printf '\\036pgid %s\\n' "$$"\n${command}`;
}

export interface ExecOptions {
  command: string;
  version: string;
  env: Record<string, string>;
  /** Run in releases/<version> when it exists (else in the deploy root). */
  inRelease: boolean;
}

/** A step's command: in the release directory or the deploy root (created), with its env and the MARSHAL_* facts. */
export function execScript(l: RemoteLayout, facts: CommandFacts, o: ExecOptions): string {
  const enter = o.inRelease
    ? 'if [ -d "$sd/releases/$v" ]; then cd -- "$sd/releases/$v" && MARSHAL_RELEASE_DIR=$PWD; else mkdir -p -- "$root" && cd -- "$root" && MARSHAL_RELEASE_DIR=; fi || exit 125'
    : 'mkdir -p -- "$root" && cd -- "$root" || exit 125; MARSHAL_RELEASE_DIR=';
  const env = { ...o.env, ...marshalEnv(facts), MARSHAL_VERSION: checkedVersion(o.version) };
  return [
    assign({
      ...(o.inRelease ? { sd: l.serviceDir, v: checkedVersion(o.version) } : {}),
      root: l.root,
      cmd: grouped(o.command),
    }),
    enter,
    exportLine(env, ['MARSHAL_RELEASE_DIR']),
    groupRun(),
  ].join('\n');
}

/** A command health check: in the real path of `current` (else the deploy root), with the version it links to. */
export function healthCommandScript(
  l: RemoteLayout,
  facts: CommandFacts,
  command: string,
  env: Record<string, string>,
): string {
  return [
    assign({ sd: l.serviceDir, root: l.root, cmd: grouped(command) }),
    'MARSHAL_VERSION=$(readlink -- "$sd/current" 2>/dev/null) && MARSHAL_VERSION=${MARSHAL_VERSION##*/}',
    'if MARSHAL_RELEASE_DIR=$(cd -- "$sd/current" 2>/dev/null && pwd -P); then cd -- "$MARSHAL_RELEASE_DIR"; else MARSHAL_RELEASE_DIR=; mkdir -p -- "$root" && cd -- "$root"; fi || exit 125',
    exportLine({ ...env, ...marshalEnv(facts) }, ['MARSHAL_VERSION', 'MARSHAL_RELEASE_DIR']),
    groupRun(),
  ].join('\n');
}

/** Stops an aborted command's process group: TERM, up to `graceMs`, then KILL. Reports `killed=<pgid>`. */
export function killGroupScript(pgid: number, graceMs: number): string {
  if (!Number.isInteger(pgid) || pgid <= 1) throw new Error(`not a process group: ${pgid}`);
  return [
    assign({ g: String(pgid), ticks: ticks(graceMs) }),
    'kill -TERM "-$g" 2>/dev/null || exit 0',
    PROCESS_FUNCTIONS,
    'n=0; while group "$g" && [ "$n" -lt "$ticks" ]; do sleep 0.1; n=$((n+1)); done',
    'if group "$g"; then kill -KILL "-$g" 2>/dev/null; echo "killed=$g"; fi',
    'exit 0',
  ].join('\n');
}
