/**
 * haproxy.cfg as text: Marshal owns the `server` lines of one backend (or
 * listen) section and leaves every other line as the user wrote it. Pure, so
 * it is tested by exact equality.
 */
import type { Backend } from '../../model/traffic.js';
import { hostPort } from './common.js';

/** Keywords that open a section: a section runs until the next one. */
const SECTIONS = new Set([
  'global',
  'defaults',
  'frontend',
  'backend',
  'listen',
  'resolvers',
  'peers',
  'userlist',
  'mailers',
  'program',
  'http-errors',
  'ring',
  'cache',
  'log-forward',
  'fcgi-app',
  'crt-store',
  'traces',
]);

/** The comment Marshal writes above its server lines (and drops when it rewrites them). */
export const MANAGED_COMMENT = '# servers managed by Marshal: rewritten on every traffic switch';

/** `server green-web1 10.0.0.5:8081 weight 100`; weight 0 → `weight 0 disabled` (in maintenance). */
export function renderServerLine(b: Backend): string {
  const base = `server ${b.name} ${hostPort(b.address, b.port)} weight ${b.weight}`;
  return b.weight === 0 ? `${base} disabled` : base;
}

function words(line: string): string[] {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return [];
  return trimmed.split(/\s+/);
}

/**
 * `config` with the server lines of section `backend <name>` (or `listen <name>`)
 * replaced by one line per backend: they go where the first old server line was, or
 * after the section's last directive when it had none. Throws (an Error with a plain
 * message) when the section does not exist.
 */
export function replaceBackendServers(config: string, name: string, backends: readonly Backend[]): string {
  const lines = config.split('\n');
  const start = lines.findIndex((line) => {
    const [keyword, section] = words(line);
    return (keyword === 'backend' || keyword === 'listen') && section === name;
  });
  if (start === -1) throw new Error(`it has no \`backend ${name}\` section`);
  let end = start + 1;
  while (end < lines.length && !SECTIONS.has(words(lines[end] ?? '')[0] ?? '')) end++;

  const body = lines.slice(start + 1, end);
  const isServer = (line: string) => ['server', 'server-template'].includes(words(line)[0] ?? '');
  const firstServer = body.findIndex(isServer);
  const indent = /^\s*/.exec(body[firstServer] ?? body.find((l) => words(l).length > 0) ?? '  ')?.[0] || '  ';
  const rendered = [`${indent}${MANAGED_COMMENT}`, ...backends.map((b) => `${indent}${renderServerLine(b)}`)];

  let insertAt: number;
  if (firstServer !== -1) {
    insertAt = firstServer;
  } else {
    // After the last directive, so blank lines and comments that separate sections stay where they were.
    let last = body.length - 1;
    while (last >= 0 && words(body[last] ?? '').length === 0) last--;
    insertAt = last + 1;
  }
  const kept: string[] = [];
  body.forEach((line, i) => {
    if (i === insertAt) for (const r of rendered) kept.push(r);
    if (!isServer(line) && line.trim() !== MANAGED_COMMENT) kept.push(line);
  });
  // A backend has a line per target: pushed one by one, as thousands of arguments overflow the stack.
  if (insertAt >= body.length) for (const r of rendered) kept.push(r);
  return [...lines.slice(0, start + 1), ...kept, ...lines.slice(end)].join('\n');
}
