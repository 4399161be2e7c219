/**
 * The HTTP side of load-balancer tests: tiny backends that answer their own
 * name, and a keep-alive client that counts who answered and what failed.
 * Everything runs in the test's process (the load balancers do not).
 */
import { Agent, createServer, get, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One HTTP backend on 127.0.0.1: `GET /` answers `<name>\n` (header `x-backend`); `?delay=ms` waits first. */
export interface HttpBackend {
  name: string;
  address: '127.0.0.1';
  port: number;
  /** Requests answered so far (not counting /healthz). */
  requests: number;
  close(): Promise<void>;
}

/** Starts one backend per name, each on a free port. */
export async function startHttpBackends(names: readonly string[]): Promise<HttpBackend[]> {
  return Promise.all(names.map((name) => startHttpBackend(name)));
}

async function startHttpBackend(name: string): Promise<HttpBackend> {
  const sockets = new Set<Socket>();
  const backend: HttpBackend = { name, address: '127.0.0.1', port: 0, requests: 0, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/healthz') return void res.end('ok\n');
    backend.requests++;
    const delay = Number(url.searchParams.get('delay') ?? 0);
    setTimeout(() => {
      res.setHeader('x-backend', name);
      res.end(`${name}\n`);
    }, delay);
  });
  // Longer than the proxies' idle upstream timeouts (nginx 60 s), so a proxy never reuses a
  // connection the backend is closing at that moment.
  server.keepAliveTimeout = 65_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  backend.port = (server.address() as AddressInfo).port;
  backend.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return backend;
}

export interface Answer {
  /** The backend's name, or `HTTP <status>` for any answer that is not a 200. */
  from: string;
}

/** One GET; resolves with who answered, rejects with the socket error (ECONNRESET…). `agent: false` = a new connection. */
export function getOnce(url: string, agent: Agent | false = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ from: res.statusCode === 200 ? body.trim() : `HTTP ${res.statusCode}` }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Sends `n` requests one after another and counts who answered each. */
export async function countAnswers(url: string, n: number): Promise<Record<string, number>> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const counts: Record<string, number> = {};
  try {
    for (let i = 0; i < n; i++) {
      const { from } = await getOnce(url, agent);
      counts[from] = (counts[from] ?? 0) + 1;
    }
  } finally {
    agent.destroy();
  }
  return counts;
}

export interface LoadReport {
  /** Requests that got an answer (any status). */
  total: number;
  /** Answers by backend name (`HTTP 502` for proxy errors). */
  answers: Record<string, number>;
  /** Requests that failed for good (socket errors after any retry, and non-200 answers), by cause. */
  failures: Record<string, number>;
  failed: number;
  /** Requests retried once after ECONNRESET on a reused keep-alive connection (only with `retryOnReset`). */
  retries: number;
}

export interface LoadOptions {
  /** Parallel request loops, each on the shared keep-alive agent. Default 4. */
  concurrency?: number;
  /**
   * Retry a GET once, on a new connection, when a reused keep-alive connection was reset:
   * the race every HTTP/1.1 client has with a server closing a kept-alive connection
   * (nginx's old workers do on reload) — the request was never read, so retrying an
   * idempotent one is safe; browsers do the same. Retries are counted. Default false.
   */
  retryOnReset?: boolean;
}

/** Steady keep-alive GETs to `url` until `stop()`, which resolves with the report. */
export function startLoad(url: string, options: LoadOptions = {}): { stop(): Promise<LoadReport> } {
  const concurrency = options.concurrency ?? 4;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const report: LoadReport = { total: 0, answers: {}, failures: {}, failed: 0, retries: 0 };
  let running = true;
  const fail = (why: string) => {
    report.failed++;
    report.failures[why] = (report.failures[why] ?? 0) + 1;
  };
  const one = async (): Promise<void> => {
    let answer: Answer;
    try {
      answer = await getOnce(url, agent);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      if (!(options.retryOnReset && code === 'ECONNRESET')) return fail(code);
      report.retries++;
      try {
        answer = await getOnce(url, false);
      } catch (again) {
        return fail(`${(again as NodeJS.ErrnoException).code ?? String(again)} (after a retry)`);
      }
    }
    report.total++;
    report.answers[answer.from] = (report.answers[answer.from] ?? 0) + 1;
    if (answer.from.startsWith('HTTP ')) fail(answer.from);
  };
  const loop = async () => {
    while (running) await one();
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return report;
    },
  };
}
