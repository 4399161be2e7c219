// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` in these strings is shell parameter expansion
import { execFileSync, spawn } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  assign,
  execScript,
  healthCommandScript,
  killGroupScript,
  statusScript,
  switchScript,
  uploadScript,
} from './commands.js';
import { displayPath, remoteLayout } from './layout.js';
import {
  holderScript,
  inspectScript,
  logTailScript,
  OWNERSHIP_FUNCTIONS,
  PROCESS_FUNCTIONS,
  processScript,
  removeScript,
  STOP_RECORDED,
  STOP_STRAYS,
  startScript,
} from './process-scripts.js';

const l = remoteLayout("~/my apps/it's", 'api');
const facts = { service: 'api', environment: 'prod', host: 'web 1' };
const lines = (...parts: string[]) => parts.join('\n');

describe('remote layout', () => {
  it('keeps roots relative to the home, absolute ones as they are', () => {
    expect(remoteLayout('~', 'api')).toEqual({ root: '.', serviceDir: 'api' });
    expect(remoteLayout('deploy/', 'api')).toEqual({ root: 'deploy', serviceDir: 'deploy/api' });
    expect(remoteLayout('/srv//apps/', 'api')).toEqual({ root: '/srv/apps', serviceDir: '/srv/apps/api' });
    expect(displayPath('deploy/api')).toBe('~/deploy/api');
    expect(displayPath('/srv/api')).toBe('/srv/api');
  });

  it('refuses unsafe service names, versions and roots', () => {
    expect(() => remoteLayout('deploy', '../x')).toThrow(/not a safe directory name/);
    expect(() => remoteLayout('', 'api')).toThrow(/is not a path/);
    expect(() => remoteLayout('~other/x', 'api')).toThrow(/only ~\//);
    expect(() => statusScript(l, '../v1')).toThrow(/version "..\/v1" is not a safe directory name/);
  });
});

describe('assign', () => {
  it('quotes each value once', () => {
    expect(assign({ a: 'plain', b: 'two words', c: "it's", d: '', e: '$HOME `x`' })).toBe(
      `a=plain b='two words' c='it'\\''s' d='' e='$HOME \`x\`'`,
    );
  });

  it('refuses a name that is not a variable name', () => {
    expect(() => assign({ 'A-B': 'x' })).toThrow(/"A-B" is not a valid environment variable name/);
  });
});

describe('scripts', () => {
  it('status probe', () => {
    expect(statusScript(l, 'v1+build.2')).toBe(
      lines(
        `sd='my apps/it'\\''s/api' v=v1+build.2`,
        'cd -- "$sd" 2>/dev/null || exit 0',
        PROCESS_FUNCTIONS,
        'l=$(readlink current 2>/dev/null) && echo "current=$l"',
        '{ [ -e current ] || [ -L current ]; } && echo hascurrent=1',
        '[ -f "releases/$v/.marshal-release" ] && echo uploaded=1',
        '[ -d "releases/$v" ] && echo releasedir=1',
        'ours && echo "alive=$pid"',
        'read -r was 2>/dev/null <run/service.version && echo "version=$was"',
        'exit 0',
      ),
    );
    expect(statusScript(l, null)).not.toContain('releases/$v');
  });

  it('upload', () => {
    expect(uploadScript(l, 'v2', 'abc123', '{"source":"/a b"}')).toBe(
      lines(
        `sd='my apps/it'\\''s/api' v=v2 tmp=releases/.upload-v2-abc123 marker='{"source":"/a b"}'`,
        'rmtree() { rm -rf -- "$@" 2>/dev/null || { chmod -R u+rwX -- "$@" 2>/dev/null; rm -rf -- "$@"; }; }',
        'mkdir -p -- "$sd/releases" && cd -- "$sd" || exit 125',
        'if [ -f "releases/$v/.marshal-release" ]; then cat >/dev/null; echo already=1; exit 0; fi',
        'mkdir -- "$tmp" && tar -xf - --no-same-owner -C "$tmp" || { rmtree "$tmp"; exit 4; }',
        'ro=; [ -w "$tmp" ] || { ro=1; chmod u+w -- "$tmp"; }',
        `{ rm -f -- "$tmp/.marshal-release" && printf '%s\\n' "$marker" >"$tmp/.marshal-release"; } || { rmtree "$tmp"; exit 4; }`,
        '[ -z "$ro" ] || chmod u-w -- "$tmp"',
        'if [ -e "releases/$v" ]; then echo replaced=1; rmtree "releases/$v"; fi',
        'mv -- "$tmp" "releases/$v" || { rmtree "$tmp"; exit 4; }',
      ),
    );
  });

  it('switch and prune', () => {
    expect(switchScript(l, 'v3', 5, 'ff')).toBe(
      lines(
        `sd='my apps/it'\\''s/api' v=v3 keep=5 tmp=current.tmp-ff`,
        'rmtree() { rm -rf -- "$@" 2>/dev/null || { chmod -R u+rwX -- "$@" 2>/dev/null; rm -rf -- "$@"; }; }',
        'cd -- "$sd" 2>/dev/null && [ -f "releases/$v/.marshal-release" ] || { echo missing=1; exit 3; }',
        'prev=$(readlink current 2>/dev/null) || prev=',
        'echo "previous=$prev"',
        'if [ "$prev" = "releases/$v" ]; then echo already=1',
        'else ln -s "releases/$v" "$tmp" && mv -T -f "$tmp" current || { rm -f "$tmp"; echo notalink=1; exit 4; }; fi',
        'kept=0; keepers=" "',
        'for k in "releases/$v" "$prev" "$(readlink current-blue 2>/dev/null)" "$(readlink current-green 2>/dev/null)"; do',
        '  case $k in releases/*|*/releases/*) k=${k%/}; k=${k##*releases/};; *) continue;; esac',
        '  case $keepers in *" $k "*) continue;; esac',
        '  [ -d "releases/$k" ] && keepers="$keepers$k " && kept=$((kept+1))',
        'done',
        'for m in $(ls -1t releases/*/.marshal-release 2>/dev/null); do',
        '  r=${m#releases/}; r=${r%/.marshal-release}',
        '  case $keepers in *" $r "*) continue;; esac',
        '  if [ "$kept" -lt "$keep" ]; then kept=$((kept+1)); else rmtree "releases/$r" && echo "pruned=$r" || echo "prunefailed=$r"; fi',
        'done',
        'exit 0',
      ),
    );
  });

  it('start', () => {
    const script = startScript(l, facts, {
      command: `node 'server.mjs'`,
      port: 8080,
      env: { GREETING: 'hello world', MARSHAL_HOST: 'overridden' },
      stopTimeoutMs: 2500,
      version: 'v4',
      summary: 'node server.mjs',
      keepRunning: false,
    });
    expect(script).toBe(
      lines(
        `sd='my apps/it'\\''s/api' v=v4 ticks=25 cmd='node '\\''server.mjs'\\''' summary='node server.mjs' port=8080`,
        'mkdir -p -- "$sd/run" "$sd/logs" && cd -- "$sd" && real=$(pwd -P) || exit 125',
        PROCESS_FUNCTIONS,
        OWNERSHIP_FUNCTIONS,
        STOP_RECORDED,
        STOP_STRAYS,
        'if holder "$port"; then',
        '  hd=$(readlink "/proc/$hp/cwd" 2>/dev/null)',
        '  case $hd in "$real/releases/"*)',
        '    hg=$hp; st "$hp" && set -- $s && hg=$3',
        '    case $(readlink "/proc/$hg/cwd" 2>/dev/null) in "$real/releases/"*) [ "$hg" != "$me" ] || hg=$hp;; *) hg=$hp;; esac',
        '    echo "unrecorded=$hp $hd"; halt "$hg"',
        '  esac',
        '  if holder "$port"; then echo "portheld=$hp $hc"; exit 5; fi',
        'fi',
        'dir=$(cd current 2>/dev/null && pwd -P) || { echo nocurrent=1; exit 3; }',
        'log=$real/logs/service.log',
        `printf -- '--- %s marshal: starting %s: %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$v" "$summary" >>"$log"`,
        'rm -f run/service.exit',
        `export GREETING='hello world' MARSHAL_HOST='web 1' MARSHAL_SERVICE=api MARSHAL_ENVIRONMENT=prod PORT=8080 MARSHAL_VERSION="$v" MARSHAL_RELEASE_DIR="$dir"`,
        `(cd -- "$dir" && export MARSHAL_INSTANCE="$inst" && exec setsid sh -c '/bin/sh -c "$1"; s=$?; echo "$$ $s" >"$2.tmp" && mv -f "$2.tmp" "$2"' marshal-service "$cmd" "$real/run/service.exit") </dev/null >>"$log" 2>&1 &`,
        'pid=$!',
        'echo "$v" >run/.version.tmp && mv -f run/.version.tmp run/service.version',
        'started "$pid" >run/.start.tmp; mv -f run/.start.tmp run/service.start',
        'echo "$pid" >run/.pid.tmp && mv -f run/.pid.tmp run/service.pid || exit 4',
        'echo "pid=$pid"',
        'echo "log=$log"',
      ),
    );
    const restart = startScript(l, facts, {
      command: 'x',
      port: null,
      env: {},
      stopTimeoutMs: 0,
      version: 'v4',
      summary: 'x',
      keepRunning: true,
    });
    expect(restart).toContain(
      '\nif ours && read -r was 2>/dev/null <run/service.version && [ "$was" = "$v" ]; then echo "running=$pid"; exit 0; fi\n',
    );
    expect(restart).toContain(' ticks=1 ');
    expect(restart).not.toContain('PORT=');
    expect(restart).not.toContain('holder "$port"');
  });

  it('remove current', () => {
    expect(removeScript(remoteLayout('/srv', 'api'), 5000)).toBe(
      lines(
        'sd=/srv/api ticks=50',
        'cd -- "$sd" 2>/dev/null && real=$(pwd -P) || exit 0',
        PROCESS_FUNCTIONS,
        OWNERSHIP_FUNCTIONS,
        STOP_RECORDED,
        STOP_STRAYS,
        'if [ -L current ] || [ -e current ]; then l=$(readlink current 2>/dev/null); rm -f current || exit 4; echo "removed=$l"; fi',
      ),
    );
  });

  it('exec: in the release when asked, grouped, env exported', () => {
    const options = { command: `echo "$X" 'y'`, version: 'v1', env: { X: "a 'b'" }, inRelease: true };
    expect(execScript(l, facts, options)).toBe(
      lines(
        `sd='my apps/it'\\''s/api' v=v1 root='my apps/it'\\''s' cmd='printf '\\''\\036pgid %s\\n'\\'' "$$"`,
        `echo "$X" '\\''y'\\'''`,
        'if [ -d "$sd/releases/$v" ]; then cd -- "$sd/releases/$v" && MARSHAL_RELEASE_DIR=$PWD; else mkdir -p -- "$root" && cd -- "$root" && MARSHAL_RELEASE_DIR=; fi || exit 125',
        `export X='a '\\''b'\\''' MARSHAL_SERVICE=api MARSHAL_ENVIRONMENT=prod MARSHAL_HOST='web 1' MARSHAL_VERSION=v1 MARSHAL_RELEASE_DIR`,
        'exec setsid -w sh -c "$cmd" </dev/null',
      ),
    );
    expect(execScript(l, facts, { ...options, inRelease: false })).toBe(
      lines(
        `root='my apps/it'\\''s' cmd='printf '\\''\\036pgid %s\\n'\\'' "$$"`,
        `echo "$X" '\\''y'\\'''`,
        'mkdir -p -- "$root" && cd -- "$root" || exit 125; MARSHAL_RELEASE_DIR=',
        `export X='a '\\''b'\\''' MARSHAL_SERVICE=api MARSHAL_ENVIRONMENT=prod MARSHAL_HOST='web 1' MARSHAL_VERSION=v1 MARSHAL_RELEASE_DIR`,
        'exec setsid -w sh -c "$cmd" </dev/null',
      ),
    );
  });

  it('health command: in the current release, with its version', () => {
    expect(healthCommandScript(remoteLayout('deploy', 'api'), facts, 'test -f ok', { A: '1' })).toBe(
      lines(
        `sd=deploy/api root=deploy cmd='printf '\\''\\036pgid %s\\n'\\'' "$$"`,
        `test -f ok'`,
        'MARSHAL_VERSION=$(readlink -- "$sd/current" 2>/dev/null) && MARSHAL_VERSION=${MARSHAL_VERSION##*/}',
        'if MARSHAL_RELEASE_DIR=$(cd -- "$sd/current" 2>/dev/null && pwd -P); then cd -- "$MARSHAL_RELEASE_DIR"; else MARSHAL_RELEASE_DIR=; mkdir -p -- "$root" && cd -- "$root"; fi || exit 125',
        `export A=1 MARSHAL_SERVICE=api MARSHAL_ENVIRONMENT=prod MARSHAL_HOST='web 1' MARSHAL_VERSION MARSHAL_RELEASE_DIR`,
        'exec setsid -w sh -c "$cmd" </dev/null',
      ),
    );
  });

  it('kill a process group', () => {
    expect(killGroupScript(4242, 2000)).toBe(
      lines(
        'g=4242 ticks=20',
        'kill -TERM "-$g" 2>/dev/null || exit 0',
        PROCESS_FUNCTIONS,
        'n=0; while group "$g" && [ "$n" -lt "$ticks" ]; do sleep 0.1; n=$((n+1)); done',
        'if group "$g"; then kill -KILL "-$g" 2>/dev/null; echo "killed=$g"; fi',
        'exit 0',
      ),
    );
    expect(() => killGroupScript(1, 2000)).toThrow(/not a process group/);
  });

  it('every script is valid POSIX sh (dash -n)', () => {
    const scripts = [
      statusScript(l, 'v1'),
      uploadScript(l, 'v1', 'x', '{}'),
      switchScript(l, 'v1', 3, 'x'),
      startScript(l, facts, {
        command: 'x',
        port: 1,
        env: {},
        stopTimeoutMs: 1,
        version: 'v1',
        summary: 'x',
        keepRunning: true,
      }),
      removeScript(l, 1000),
      execScript(l, facts, { command: 'true', version: 'v1', env: {}, inRelease: true }),
      healthCommandScript(l, facts, 'true', {}),
      killGroupScript(99, 100),
      processScript(l, true),
      logTailScript(l, 100),
      holderScript(8080),
      inspectScript(l, 8080),
      inspectScript(l, null),
    ];
    for (const script of scripts) execFileSync('/bin/sh', ['-n', '-c', script]);
  });
});

describe('process functions (run by the local /bin/sh)', () => {
  it('tell live processes from zombies and find live group members', async () => {
    // A group whose leader exits and stays a zombie (nobody reaps it) while its child runs on.
    const child = spawn('/bin/sh', ['-c', 'sleep 5 & exec sleep 0.1'], { detached: true, stdio: 'ignore' });
    const pgid = child.pid as number;
    await new Promise((resolve) => setTimeout(resolve, 400));
    const probe = (cmd: string) =>
      execFileSync('/bin/sh', ['-c', `${PROCESS_FUNCTIONS}\n${cmd}`], { encoding: 'utf8' }).trim();
    try {
      expect(probe(`alive ${pgid} && echo alive || echo dead`)).toBe('dead');
      expect(probe(`running ${pgid} && echo running || echo stopped`)).toBe('running');
      expect(probe('alive $$ && echo alive; started $$ | grep -c "^[0-9][0-9]*$"')).toBe('alive\n1');
    } finally {
      process.kill(-pgid, 'SIGKILL');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(
      execFileSync('/bin/sh', ['-c', `${PROCESS_FUNCTIONS}\nrunning ${pgid} || echo stopped`], {
        encoding: 'utf8',
      }).trim(),
    ).toBe('stopped');
  });
});

describe('ownership functions (run by the local /bin/sh)', () => {
  const sh = (cmd: string) =>
    execFileSync('/bin/sh', ['-c', `${PROCESS_FUNCTIONS}\n${cmd}`], { encoding: 'utf8' }).trim();

  it('marked: finds the processes carrying the instance marker, by group', async () => {
    const env = { ...process.env, MARSHAL_INSTANCE: '/srv/x/api/run/service', MARSHAL_VERSION: 'v7' };
    const child = spawn('/bin/sh', ['-c', 'sleep 5 & exec sleep 5'], {
      detached: true,
      stdio: 'ignore',
      env,
    });
    const pgid = child.pid as number;
    await new Promise((resolve) => setTimeout(resolve, 200));
    try {
      const found = sh(`real=/srv/x/api\n${OWNERSHIP_FUNCTIONS}\nmarked`).split('\n').sort();
      expect(found).toHaveLength(2);
      for (const line of found) expect(line.split(' ')[1]).toBe(String(pgid));
      expect(found.map((l) => l.split(' ')[0])).toContain(String(pgid));
      expect(sh(`real=/srv/x/other\n${OWNERSHIP_FUNCTIONS}\nmarked`)).toBe('');
      expect(sh(`real=/srv/x/api\nticks=10\n${OWNERSHIP_FUNCTIONS}\n${STOP_STRAYS}`)).toBe(
        `stray=${pgid} v7`,
      );
    } finally {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {}
    }
  });

  it('holder: names the process listening on a port, and is false for a free one', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const out = sh(`real=/\n${OWNERSHIP_FUNCTIONS}\nholder ${port} && echo "$hp|$hc"`);
      expect(out.split('|')[0]).toBe(String(process.pid));
      expect(out.split('|')[1]).toContain('node');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(sh(`real=/\n${OWNERSHIP_FUNCTIONS}\nholder ${port} || echo free`)).toBe('free');
  });
});
