/**
 * The remote scripts that start, watch and stop a service's process, as data
 * (see commands.ts for the conventions: values only in the quoted header,
 * `key=value` report lines). Like the local provider, every process started
 * carries MARSHAL_INSTANCE (the absolute path of its pid file without `.pid`)
 * in its environment, runs under a wrapper that records its exit status, and
 * never starts beside another listener on its port.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` in these strings is shell parameter expansion
import { INSTANCE_VARIABLE, SERVICE_WRAPPER } from '../procfs.js';
import { checkedVersion, type RemoteLayout } from './layout.js';
import { assign, type CommandFacts, exportLine, marshalEnv } from './script-values.js';

/**
 * Shell functions over /proc: `alive PID` (not a zombie: PID 1 may never reap
 * it), `started PID` (kernel start time, guards against pid reuse), `ours`
 * (run/service.pid names our live process; sets $pid), `running PGID` (a
 * live member of the group is left), `halt PGID` (TERM, `$ticks` tenths of a
 * second, KILL; true when KILL was needed).
 */
export const PROCESS_FUNCTIONS = [
  `st() { read -r s 2>/dev/null <"/proc/$1/stat" || return 1; s=\${s##*') '}; }`,
  'alive() { kill -0 "$1" 2>/dev/null || return 1; st "$1" || return 0; case $s in Z*) return 1;; esac; }',
  'started() { st "$1" && set -- $s && [ $# -ge 20 ] && shift 19 && echo "$1"; }',
  'ours() { read -r pid 2>/dev/null <run/service.pid || return 1; case $pid in ""|*[!0-9]*) return 1;; esac; alive "$pid" || return 1; read -r rec 2>/dev/null <run/service.start || rec=; now=$(started "$pid"); [ -z "$rec" ] || [ -z "$now" ] || [ "$rec" = "$now" ]; }',
  `group() { kill -0 "-$1" 2>/dev/null || return 1; [ -r /proc/self/stat ] || return 0; for f in /proc/[0-9]*/stat; do read -r s 2>/dev/null <"$f" || continue; s=\${s##*') '}; set -- "$1" $s; [ "$4" = "$1" ] && [ "$2" != Z ] && return 0; done; return 1; }`,
  'running() { alive "$1" || group "$1"; }',
  'halt() { kill -TERM "-$1" 2>/dev/null || kill -TERM "$1" 2>/dev/null; n=0; while running "$1" && [ "$n" -lt "$ticks" ]; do sleep 0.1; n=$((n+1)); done; running "$1" || return 1; kill -KILL "-$1" 2>/dev/null || kill -KILL "$1" 2>/dev/null; }',
].join('\n');

/**
 * Needs `$real` (the physical service directory): sets `$inst` and `$me` (this script's
 * process group); `marked` prints `<pid> <pgid>` of each live process carrying the instance's
 * marker outside that group; `holder PORT` sets `$hp` (pid, empty when not visible) and `$hc`
 * (command, on one line; shortened by parseHolder as procfs.ts shortens it) of the TCP listener
 * on PORT, and is false when nobody listens.
 */
export const OWNERSHIP_FUNCTIONS = [
  'inst=$real/run/service; me=; st "$$" && set -- $s && me=$3',
  `marked() { grep -lsxz -- "${INSTANCE_VARIABLE}=$inst" /proc/[0-9]*/environ | while IFS=/ read -r _ _ p _; do st "$p" || continue; set -- $s; case $1 in Z*) continue;; esac; [ "$3" = "$me" ] || echo "$p $3"; done; }`,
  `holder() { ino=$(awk -v s=":$(printf %04X "$1")" '$4 == "0A" && substr($2, length($2) - 4) == s { print $10; exit }' /proc/net/tcp /proc/net/tcp6 2>/dev/null); [ -n "$ino" ] || return 1; f=$(find /proc/[0-9]*/fd -lname "socket:\\[$ino\\]" 2>/dev/null | head -n 1); hp=\${f#/proc/}; hp=\${hp%%/*}; hc=; [ -z "$hp" ] || hc=$(tr '\\0\\n' '  ' <"/proc/$hp/cmdline" 2>/dev/null | cut -c1-1024); }`,
].join('\n');

/** Stops the recorded process group and forgets it: `stopping=<pid> <version>`, `killed=<pid>`. */
export const STOP_RECORDED = [
  'if ours; then read -r was 2>/dev/null <run/service.version || was=; echo "stopping=$pid $was"',
  '  if halt "$pid"; then echo "killed=$pid"; fi',
  'fi',
  'rm -f run/service.pid run/service.start run/service.version',
].join('\n');

/** Stops every unrecorded group carrying the marker: `stray=<pgid> <version>`, `straykilled=<pgid>`. */
export const STOP_STRAYS = [
  'seen=" "',
  "for pg in $(marked | tr ' ' :); do",
  '  g=${pg#*:}; p=${pg%%:*}',
  '  case $seen in *" $g "*) continue;; esac; seen="$seen$g "',
  "  sv=$(tr '\\0' '\\n' <\"/proc/$p/environ\" 2>/dev/null | sed -n 's/^MARSHAL_VERSION=//p' | head -n 1)",
  '  echo "stray=$g $sv"',
  '  if halt "$g"; then echo "straykilled=$g"; fi',
  'done',
].join('\n');

/**
 * Refuses to start beside a listener on `$port` (`portheld=<pid> <command>`, exit 5). A
 * listener running from this service's releases is ours from before the marker: stopped
 * (`unrecorded=<pid> <cwd>`), with its group when the group's leader runs from there too.
 */
const CLAIM_PORT = [
  'if holder "$port"; then',
  '  hd=$(readlink "/proc/$hp/cwd" 2>/dev/null)',
  '  case $hd in "$real/releases/"*)',
  '    hg=$hp; st "$hp" && set -- $s && hg=$3',
  '    case $(readlink "/proc/$hg/cwd" 2>/dev/null) in "$real/releases/"*) [ "$hg" != "$me" ] || hg=$hp;; *) hg=$hp;; esac',
  '    echo "unrecorded=$hp $hd"; halt "$hg"',
  '  esac',
  '  if holder "$port"; then echo "portheld=$hp $hc"; exit 5; fi',
  'fi',
].join('\n');

/** A stop grace as the tenths of a second `halt` waits. */
export function ticks(stopTimeoutMs: number): string {
  return String(Math.max(1, Math.ceil(stopTimeoutMs / 100)));
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
 * (Re)starts the service: stops the recorded group and any unrecorded one, checks the port
 * is free, then starts the command (under the exit-recording wrapper, with the instance
 * marker) from the real path of `current` in a new session (setsid), stdin from /dev/null,
 * output appended to logs/service.log, and records version, start time and pid (the pid last:
 * it commits). Reports `stopping=`, `killed=`, `stray=`, `pid=`, `log=`; exits 3 with
 * `nocurrent=1` when `current` does not resolve, 5 with `portheld=` when the port is taken.
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
      ...(o.port === null ? {} : { port: String(o.port) }),
    }),
    'mkdir -p -- "$sd/run" "$sd/logs" && cd -- "$sd" && real=$(pwd -P) || exit 125',
    PROCESS_FUNCTIONS,
    OWNERSHIP_FUNCTIONS,
    ...keep,
    STOP_RECORDED,
    STOP_STRAYS,
    ...(o.port === null ? [] : [CLAIM_PORT]),
    'dir=$(cd current 2>/dev/null && pwd -P) || { echo nocurrent=1; exit 3; }',
    'log=$real/logs/service.log',
    `printf -- '--- %s marshal: starting %s: %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$v" "$summary" >>"$log"`,
    'rm -f run/service.exit',
    exportLine(env, ['MARSHAL_VERSION="$v"', 'MARSHAL_RELEASE_DIR="$dir"']),
    `(cd -- "$dir" && export ${INSTANCE_VARIABLE}="$inst" && exec setsid sh -c '${SERVICE_WRAPPER}' marshal-service "$cmd" "$real/run/service.exit") </dev/null >>"$log" 2>&1 &`,
    'pid=$!',
    'echo "$v" >run/.version.tmp && mv -f run/.version.tmp run/service.version',
    'started "$pid" >run/.start.tmp; mv -f run/.start.tmp run/service.start',
    'echo "$pid" >run/.pid.tmp && mv -f run/.pid.tmp run/service.pid || exit 4',
    'echo "pid=$pid"',
    'echo "log=$log"',
  ].join('\n');
}

/** Stops the recorded process and any unrecorded one, and removes `current` (a restore to "nothing deployed"). Reports `removed=<link>`. */
export function removeScript(l: RemoteLayout, stopTimeoutMs: number): string {
  return [
    assign({ sd: l.serviceDir, ticks: ticks(stopTimeoutMs) }),
    'cd -- "$sd" 2>/dev/null && real=$(pwd -P) || exit 0',
    PROCESS_FUNCTIONS,
    OWNERSHIP_FUNCTIONS,
    STOP_RECORDED,
    STOP_STRAYS,
    'if [ -L current ] || [ -e current ]; then l=$(readlink current 2>/dev/null); rm -f current || exit 4; echo "removed=$l"; fi',
  ].join('\n');
}

/**
 * What a watch of the service's process needs, in one round trip: `recorded=<pid>` (the pid
 * file, alive or not), `alive=<pid>` while the
 * recorded process lives, `exit=<pid> <status>` once its wrapper recorded an end, and with
 * `strays`, `stray=<pid>` for an unrecorded process carrying the marker.
 */
export function processScript(l: RemoteLayout, strays = false): string {
  return [
    assign({ sd: l.serviceDir }),
    'cd -- "$sd" 2>/dev/null && real=$(pwd -P) || exit 0',
    PROCESS_FUNCTIONS,
    ...(strays ? [OWNERSHIP_FUNCTIONS] : []),
    'read -r rp 2>/dev/null <run/service.pid && echo "recorded=$rp"',
    'ours && echo "alive=$pid"',
    'read -r e 2>/dev/null <run/service.exit && echo "exit=$e"',
    ...(strays ? ['marked | while read -r p g; do [ "$g" = "$pid" ] || echo "stray=$p"; done'] : []),
    'exit 0',
  ].join('\n');
}

/** The end of the service log (its whole stdout). */
export function logTailScript(l: RemoteLayout, bytes: number): string {
  return [
    assign({ sd: l.serviceDir, n: String(bytes) }),
    'tail -c "$n" -- "$sd/logs/service.log" 2>/dev/null',
    'exit 0',
  ].join('\n');
}

/** Who listens on `port`: `holder=<pid> <command>` (pid empty when not visible), nothing when nobody. */
export function holderScript(port: number): string {
  return [
    assign({ port: String(port), real: '/' }),
    PROCESS_FUNCTIONS,
    OWNERSHIP_FUNCTIONS,
    'holder "$port" && echo "holder=$hp $hc"',
    'exit 0',
  ].join('\n');
}

/**
 * What really runs for the service (`marshal status --probe`), read-only: `current=<link>`,
 * `recorded=<pid>`, `alive=<pid>`, `version=<recorded version>`, `stray=<pgid> <version>` per
 * unrecorded group, and with a port `listener=<pid|-> <pgid|-> <version|-> <command>`. Without
 * a service directory there is no link and no record, but processes and the port are looked
 * at all the same (by the path the directory had), as the local provider does.
 */
export function inspectScript(l: RemoteLayout, port: number | null): string {
  return [
    assign({ sd: l.serviceDir, ...(port === null ? {} : { port: String(port) }) }),
    'here=1; cd -- "$sd" 2>/dev/null && real=$(pwd -P) || { here=; case $sd in /*) real=$sd;; *) real=$PWD/$sd;; esac; }',
    PROCESS_FUNCTIONS,
    OWNERSHIP_FUNCTIONS,
    'pid=',
    'if [ -n "$here" ]; then',
    '  l=$(readlink current 2>/dev/null) && echo "current=$l"',
    '  read -r rp 2>/dev/null <run/service.pid && echo "recorded=$rp"',
    '  ours && echo "alive=$pid" || pid=',
    '  read -r was 2>/dev/null <run/service.version && echo "version=$was"',
    'fi',
    `ver() { if grep -qsxz -- "${INSTANCE_VARIABLE}=$inst" "/proc/$1/environ"; then tr '\\0' '\\n' <"/proc/$1/environ" | sed -n 's/^MARSHAL_VERSION=//p' | head -n 1; else d=$(readlink "/proc/$1/cwd" 2>/dev/null); case $d in "$real/releases/"*) d=\${d#"$real/releases/"}; echo "\${d%%/*}";; esac; fi; }`,
    'seen=" "',
    "for pg in $(marked | tr ' ' :); do",
    '  g=${pg#*:}; p=${pg%%:*}',
    '  case $seen in *" $g "*) continue;; esac; seen="$seen$g "',
    '  [ "$g" = "$pid" ] || echo "stray=$g $(ver "$p")"',
    'done',
    ...(port === null
      ? []
      : [
          'if holder "$port"; then hg=; hv=; if [ -n "$hp" ]; then st "$hp" && set -- $s && hg=$3; hv=$(ver "$hp"); fi',
          '  echo "listener=${hp:--} ${hg:--} ${hv:--} $hc"; fi',
        ]),
    'exit 0',
  ].join('\n');
}
