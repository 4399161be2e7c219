// The demo app: one small HTTP server per service (db, api, worker, web), no dependencies.
// What a release is comes from release.json, written by build.mjs.
import { readFileSync } from 'node:fs';
import http from 'node:http';

const release = JSON.parse(readFileSync(new URL('./release.json', import.meta.url), 'utf8'));
const service = process.env.MARSHAL_SERVICE ?? release.service;
const port = Number(process.env.PORT);
const counts = new Map();

function count(status) {
  counts.set(status, (counts.get(status) ?? 0) + 1);
}

function schemaVersion() {
  try {
    return JSON.parse(readFileSync(`${process.env.DB_DATA_DIR}/schema.json`, 'utf8')).version;
  } catch {
    return null;
  }
}

async function fetchText(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
  return `${res.status} ${(await res.text()).trim()}`;
}

const routes = {
  '/health': async () => {
    if (release.healthy === false) return [500, `unhealthy: ${release.defect}\n`];
    // A host told that this version is broken on it (fleet tests: one bad host among many).
    if (process.env.BROKEN === release.version) return [500, `unhealthy on this host: ${release.version}\n`];
    if (service === 'db' && schemaVersion() !== release.version) return [503, `schema ${schemaVersion()} != ${release.version}\n`];
    return [200, `ok ${service} ${release.version}\n`];
  },
  '/': async () => {
    if (service === 'web') {
      const api = await fetchText(`http://127.0.0.1:${process.env.API_PORT}/`).catch((e) => `unreachable (${e.message})`);
      return [200, `web ${release.version} — api says: ${api}\n`];
    }
    if (service === 'db') return [200, `db ${release.version} schema=${schemaVersion()}\n`];
    // A release with a defect in its request path: this share of requests fails (canary analysis demos).
    if (release.errorRate !== undefined && Math.random() < release.errorRate) return [500, `${service} ${release.version} failed\n`];
    return [200, `${service} ${release.version}\n`];
  },
  // Prometheus text format: requests served, by status (health checks and scrapes not counted).
  '/metrics': async () => [
    200,
    '# TYPE demo_requests_total counter\n' +
      [...counts]
        .map(([status, n]) => `demo_requests_total{service="${service}",version="${release.version}",status="${status}"} ${n}`)
        .join('\n') +
      '\n',
  ],
};

http
  .createServer(async (req, res) => {
    const route = routes[new URL(req.url ?? '/', 'http://x').pathname];
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const [status, body] = route ? await route() : [404, 'not found\n'];
    if (path !== '/health' && path !== '/metrics') count(status);
    res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
  })
  .listen(port, '127.0.0.1', () => console.log(`${service} ${release.version} listening on ${port}`));

for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
