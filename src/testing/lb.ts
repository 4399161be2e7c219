/**
 * Real load balancers for tests: nginx and haproxy started in the foreground,
 * in a temp directory, on a free port of 127.0.0.1, in front of the given
 * backends. Each returns the `routerConfig` a test passes to createRouter, and
 * `stop()` (call it from afterAll) which ends the process group and deletes the
 * directory; a watchdog does the same if the test process dies first.
 * Needs /usr/sbin/nginx (nginx-light) and /usr/sbin/haproxy (≥ 2.5).
 *
 *   const [blue, green] = await startHttpBackends(['blue', 'green']);
 *   const lb = await startNginx({ backends: [{ ...blue, weight: 100 }, { ...green, weight: 0 }] });
 *   await createRouter(lb.routerConfig, lb.dir).apply([...], io);
 *   await countAnswers(lb.url, 10);   // { green: 10 }
 *   await lb.stop();
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RouterConfig } from '../model/schema-delivery.js';
import type { Backend } from '../model/traffic.js';
import { renderServerLine } from '../providers/routers/haproxy-config.js';
import { sendCommand } from '../providers/routers/haproxy-socket.js';
import { renderUpstream } from '../providers/routers/nginx-render.js';
import { launch, startReaper, stopGroup, waitFor } from './lb-process.js';

export { countAnswers, type HttpBackend, type LoadReport, startHttpBackends, startLoad } from './lb-http.js';

export type NginxRouterConfig = Extract<RouterConfig, { type: 'nginx' }>;
export type HaproxyRouterConfig = Extract<RouterConfig, { type: 'haproxy' }>;

interface RunningLb {
  /** The port it listens on (127.0.0.1). */
  port: number;
  /** `http://127.0.0.1:<port>/` */
  url: string;
  /** Its temp directory: configs, pid file, logs. */
  dir: string;
  /** The pid of the master process. */
  pid: number;
  /** Its error log (nginx) or stderr (haproxy). */
  logFile: string;
  /** Ends every process of the load balancer and deletes its directory. */
  stop(): Promise<void>;
}

export interface NginxLb extends RunningLb {
  configPath: string;
  /** The file holding the upstream block, included by nginx.conf. */
  upstreamPath: string;
  pidFile: string;
  routerConfig: NginxRouterConfig;
}

export interface HaproxyLb extends RunningLb {
  configPath: string;
  socketPath: string;
  routerConfig: HaproxyRouterConfig;
  /** A graceful reload (USR2 to the master); resolves once a new worker answers on the admin socket. */
  reload(): Promise<void>;
}

/** Starts nginx (one worker) proxying `/` to upstream `upstream` (default `app`) of `backends`. */
export async function startNginx(options: {
  upstream?: string;
  backends: readonly Backend[];
}): Promise<NginxLb> {
  const upstream = options.upstream ?? 'app';
  const dir = await makeDir('marshal-nginx-');
  const configPath = join(dir, 'nginx.conf');
  const upstreamPath = join(dir, 'upstream.conf');
  const pidFile = join(dir, 'nginx.pid');
  const logFile = join(dir, 'error.log');
  await writeFile(upstreamPath, renderUpstream(upstream, options.backends));
  const reaper = startReaper(dir);
  const { child, port } = await launch(
    dir,
    async (port) => {
      await writeFile(configPath, nginxConf(dir, upstream, port));
      return spawn('/usr/sbin/nginx', ['-c', configPath, '-e', logFile], { detached: true, stdio: 'ignore' });
    },
    logFile,
  );
  // nginx writes its pid file after it binds: the router reads it.
  await waitFor(async () => existsSync(pidFile), 5000, 'nginx pid file');
  return {
    ...running(dir, port, child, logFile, reaper),
    configPath,
    upstreamPath,
    pidFile,
    routerConfig: { type: 'nginx', upstream, file: upstreamPath, config: configPath, pidFile },
  };
}

function nginxConf(dir: string, upstream: string, port: number): string {
  return `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body; proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi; uwsgi_temp_path ${dir}/tmp/uwsgi; scgi_temp_path ${dir}/tmp/scgi;
  include ${dir}/upstream.conf;
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://${upstream}; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`;
}

/** Starts haproxy (master-worker, admin socket) with frontend → backend `backend` (default `app`) of `backends`. */
export async function startHaproxy(options: {
  backend?: string;
  backends: readonly Backend[];
}): Promise<HaproxyLb> {
  const backend = options.backend ?? 'app';
  const dir = await makeDir('marshal-haproxy-');
  const configPath = join(dir, 'haproxy.cfg');
  const socketPath = join(dir, 'admin.sock');
  const logFile = join(dir, 'haproxy.log');
  const reaper = startReaper(dir);
  const { child, port } = await launch(
    dir,
    async (port) => {
      await writeFile(configPath, haproxyCfg(dir, backend, port, options.backends));
      const log = openSync(logFile, 'a');
      try {
        return spawn('/usr/sbin/haproxy', ['-W', '-db', '-f', configPath], {
          detached: true,
          stdio: ['ignore', log, log],
        });
      } finally {
        closeSync(log);
      }
    },
    logFile,
  );
  const signal = new AbortController().signal;
  const workerPid = async () => /^Pid: (\d+)$/m.exec(await sendCommand(socketPath, 'show info', signal))?.[1];
  await waitFor(
    async () => (await workerPid().catch(() => undefined)) !== undefined,
    5000,
    'haproxy admin socket',
  );
  return {
    ...running(dir, port, child, logFile, reaper),
    configPath,
    socketPath,
    routerConfig: { type: 'haproxy', backend, socket: socketPath, configFile: configPath },
    async reload() {
      const before = await workerPid();
      // A master that has just started its worker re-executes itself (wait mode) and ignores
      // SIGUSR2 until it is back in its loop, while the worker already answers: a signal sent
      // then is lost (seen: no reload, once in a few runs). Sent again each second until a new
      // worker answers; a second reload is harmless.
      let sentAt = 0;
      await waitFor(
        async () => {
          if (Date.now() - sentAt >= 1000) {
            process.kill(child.pid as number, 'SIGUSR2');
            sentAt = Date.now();
          }
          const now = await workerPid().catch(() => undefined);
          return now !== undefined && now !== before;
        },
        10_000,
        'haproxy reload',
      );
    },
  };
}

function haproxyCfg(dir: string, backend: string, port: number, backends: readonly Backend[]): string {
  return `global
  master-worker
  pidfile ${dir}/haproxy.pid
  stats socket ${dir}/admin.sock mode 600 level admin expose-fd listeners
  hard-stop-after 30s
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  option redispatch
  retries 2
frontend fe
  bind 127.0.0.1:${port}
  default_backend ${backend}
backend ${backend}
  balance roundrobin
${backends.map((b) => `  ${renderServerLine(b)}\n`).join('')}`;
}

async function makeDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  // nginx's workers run as nobody: they must reach the temp paths inside.
  await chmod(dir, 0o755);
  await mkdir(join(dir, 'tmp'));
  return dir;
}

function running(dir: string, port: number, child: ChildProcess, logFile: string, reaper: ChildProcess) {
  return {
    port,
    url: `http://127.0.0.1:${port}/`,
    dir,
    pid: child.pid as number,
    logFile,
    async stop() {
      await stopGroup(child);
      reaper.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
