/** The nginx upstream block Marshal owns: pure, so it is tested by exact equality. */
import type { Backend } from '../../model/traffic.js';
import { hostPort } from './common.js';

/** Idle keep-alive connections each worker keeps to the upstream servers. */
export const UPSTREAM_KEEPALIVE = 16;

/**
 * The file an nginx router writes: one `upstream` block, a `server` line per backend
 * (weight 0 → `down`: out of rotation, kept in the file so a person sees both colours),
 * and `keepalive` so proxying does not open a connection per request.
 */
export function renderUpstream(upstream: string, backends: readonly Backend[]): string {
  const servers = backends.map((b) => {
    const how = b.weight === 0 ? 'down' : `weight=${b.weight}`;
    return `  server ${hostPort(b.address, b.port)} ${how}; # ${b.name}\n`;
  });
  return (
    '# Written by Marshal on every traffic switch: edits here are replaced.\n' +
    `upstream ${upstream} {\n${servers.join('')}  keepalive ${UPSTREAM_KEEPALIVE};\n}\n`
  );
}
