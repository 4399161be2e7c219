import { describe, expect, it } from 'vitest';
import { MarshalError } from '../../model/errors.js';
import { checkBackends, describeBackends } from './common.js';
import { MANAGED_COMMENT, renderServerLine, replaceBackendServers } from './haproxy-config.js';
import { nginxTestArgv } from './nginx.js';
import { reloadedSince } from './nginx-procs.js';
import { renderUpstream } from './nginx-render.js';

const green = { name: 'green-web1', address: '10.0.0.5', port: 8081, weight: 100 };
const blue = { name: 'blue-web1', address: '10.0.0.5', port: 8080, weight: 0 };

describe('renderUpstream', () => {
  it('writes one server line per backend, weight 0 as down, and keepalive', () => {
    expect(renderUpstream('app', [green, blue, { ...green, name: 'v6', address: '::1', weight: 7 }])).toBe(
      '# Written by Marshal on every traffic switch: edits here are replaced.\n' +
        'upstream app {\n' +
        '  server 10.0.0.5:8081 weight=100; # green-web1\n' +
        '  server 10.0.0.5:8080 down; # blue-web1\n' +
        '  server [::1]:8081 weight=7; # v6\n' +
        '  keepalive 16;\n' +
        '}\n',
    );
  });

  it('checks the whole configuration quietly, logging to stderr', () => {
    expect(nginxTestArgv('nginx', '/etc/nginx/nginx.conf')).toEqual([
      'nginx',
      '-t',
      '-q',
      '-e',
      'stderr',
      '-c',
      '/etc/nginx/nginx.conf',
    ]);
  });

  it('sees a reload once every active worker is new', () => {
    expect(reloadedSince(new Set([10]), new Set([10]))).toBe(false);
    expect(reloadedSince(new Set([10]), new Set([10, 11]))).toBe(false);
    expect(reloadedSince(new Set([10]), new Set([11]))).toBe(true);
    expect(reloadedSince(new Set([10]), new Set())).toBe(false);
  });
});

describe('checkBackends', () => {
  it('accepts a valid set and describes it in one line', () => {
    expect(() => checkBackends('nginx', [green, blue])).not.toThrow();
    expect(describeBackends([green, blue])).toBe('green-web1 (100), blue-web1 (0)');
  });

  it('refuses, not retryably, everything a router must not serve', () => {
    const refuse = (backends: Parameters<typeof checkBackends>[1]) => {
      try {
        checkBackends('nginx', backends);
      } catch (err) {
        expect(err).toBeInstanceOf(MarshalError);
        expect((err as MarshalError).code).toBe('PROVIDER_ERROR');
        expect((err as MarshalError).retryable).toBe(false);
        return (err as MarshalError).message;
      }
      throw new Error('not refused');
    };
    expect(refuse([])).toBe('nginx: refused to apply: no backends');
    expect(refuse([{ ...green, weight: 0 }, blue])).toBe(
      'nginx: refused to apply: every backend has weight 0: nothing would serve the traffic',
    );
    expect(refuse([green, { ...blue, port: 0 }])).toBe(
      'nginx: refused to apply: blue-web1: port 0 is not 1–65535',
    );
    expect(refuse([green, { ...blue, weight: 257 }])).toBe(
      'nginx: refused to apply: blue-web1: weight 257 is not 0–256',
    );
    expect(refuse([green, { ...blue, address: '1.2.3.4; }' }])).toBe(
      'nginx: refused to apply: blue-web1: address "1.2.3.4; }" is not valid',
    );
    expect(refuse([green, { ...green, weight: 1 }])).toBe(
      'nginx: refused to apply: backend green-web1 is listed twice',
    );
    expect(refuse([green, { ...blue, name: 'a b' }])).toBe(
      'nginx: refused to apply: backend name "a b" is not [A-Za-z0-9_.:-]+',
    );
  });
});

describe('haproxy config', () => {
  it('renders a server line, weight 0 as disabled', () => {
    expect(renderServerLine(green)).toBe('server green-web1 10.0.0.5:8081 weight 100');
    expect(renderServerLine(blue)).toBe('server blue-web1 10.0.0.5:8080 weight 0 disabled');
  });

  const config = [
    'global',
    '  stats socket /run/haproxy.sock level admin',
    'defaults',
    '  mode http',
    'backend app',
    '  balance roundrobin',
    '  server old1 10.0.0.1:80 check',
    '  # a comment the user wrote',
    '  server-template extra 2 10.0.0.9:80',
    '  option httpchk',
    '',
    'backend other',
    '  server keep 10.0.0.2:80',
    '',
  ].join('\n');

  it('replaces the server lines of its backend only, where the first one was', () => {
    expect(replaceBackendServers(config, 'app', [green, blue])).toBe(
      [
        'global',
        '  stats socket /run/haproxy.sock level admin',
        'defaults',
        '  mode http',
        'backend app',
        '  balance roundrobin',
        `  ${MANAGED_COMMENT}`,
        '  server green-web1 10.0.0.5:8081 weight 100',
        '  server blue-web1 10.0.0.5:8080 weight 0 disabled',
        '  # a comment the user wrote',
        '  option httpchk',
        '',
        'backend other',
        '  server keep 10.0.0.2:80',
        '',
      ].join('\n'),
    );
  });

  it('is idempotent: rewriting its own output changes only the servers', () => {
    const once = replaceBackendServers(config, 'app', [green, blue]);
    expect(replaceBackendServers(once, 'app', [green, blue])).toBe(once);
    expect(
      replaceBackendServers(once, 'app', [
        { ...green, weight: 0 },
        { ...blue, weight: 100 },
      ]),
    ).toBe(
      once
        .replace(
          'server green-web1 10.0.0.5:8081 weight 100',
          'server green-web1 10.0.0.5:8081 weight 0 disabled',
        )
        .replace(
          'server blue-web1 10.0.0.5:8080 weight 0 disabled',
          'server blue-web1 10.0.0.5:8080 weight 100',
        ),
    );
  });

  it('adds servers after the last directive of a section that has none, and finds listen sections', () => {
    const text = 'listen web\n    bind :80\n    mode http\n\n# next\nfrontend fe\n  bind :81\n';
    expect(replaceBackendServers(text, 'web', [green])).toBe(
      `listen web\n    bind :80\n    mode http\n    ${MANAGED_COMMENT}\n    server green-web1 10.0.0.5:8081 weight 100\n\n# next\nfrontend fe\n  bind :81\n`,
    );
    expect(replaceBackendServers('backend app', 'app', [green])).toBe(
      `backend app\n  ${MANAGED_COMMENT}\n  server green-web1 10.0.0.5:8081 weight 100`,
    );
  });

  it('refuses a config without the backend', () => {
    expect(() => replaceBackendServers(config, 'api', [green])).toThrow('it has no `backend api` section');
  });
});
