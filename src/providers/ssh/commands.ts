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
import { RMTREE } from '../shell.js';
import { checkedVersion, RELEASE_MARKER, type RemoteLayout } from './layout.js';
import { PROCESS_FUNCTIONS, ticks } from './process-scripts.js';
import { assign, type CommandFacts, exportLine, marshalEnv } from './script-values.js';

export { assign, type CommandFacts } from './script-values.js';

/** Prefix of the line a grouped command prints first: `\x1epgid <pid>`. */
export const PGID_MARK = '\u001epgid ';

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
    // A marker the artifact brought (a release copied back) goes first: written through, a link
    // would put ours wherever it points.
    `{ rm -f -- "$tmp/${RELEASE_MARKER}" && printf '%s\\n' "$marker" >"$tmp/${RELEASE_MARKER}"; } || { rmtree "$tmp"; exit 4; }`,
    '[ -z "$ro" ] || chmod u-w -- "$tmp"',
    'if [ -e "releases/$v" ]; then echo replaced=1; rmtree "releases/$v"; fi',
    'mv -- "$tmp" "releases/$v" || { rmtree "$tmp"; exit 4; }',
  ].join('\n');
}

/**
 * Points `current` at releases/<version> (a temp link renamed over it), then
 * prunes marked releases beyond `keep`, newest first, as the local provider
 * does: never the new one, the one it replaced, nor one a slot's link
 * (`current-blue`, `current-green`) names — those count towards `keep`.
 * Reports `previous=<link>`, `already=1`, `pruned=<v>`…; exits 3 with
 * `missing=1` when the release is not complete, 4 with `notalink=1` when
 * `current` cannot be replaced.
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
    // The releases links name (relative or absolute, as versionOfLink reads them), each once.
    'kept=0; keepers=" "',
    'for k in "releases/$v" "$prev" "$(readlink current-blue 2>/dev/null)" "$(readlink current-green 2>/dev/null)"; do',
    '  case $k in releases/*|*/releases/*) k=${k%/}; k=${k##*releases/};; *) continue;; esac',
    '  case $keepers in *" $k "*) continue;; esac',
    '  [ -d "releases/$k" ] && keepers="$keepers$k " && kept=$((kept+1))',
    'done',
    `for m in $(ls -1t releases/*/${RELEASE_MARKER} 2>/dev/null); do`,
    `  r=\${m#releases/}; r=\${r%/${RELEASE_MARKER}}`,
    '  case $keepers in *" $r "*) continue;; esac',
    '  if [ "$kept" -lt "$keep" ]; then kept=$((kept+1)); else rmtree "releases/$r" && echo "pruned=$r" || echo "prunefailed=$r"; fi',
    'done',
    'exit 0',
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
