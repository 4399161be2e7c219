/**
 * Step ids (`api/h1/start`, `rollback/db/db-1/restore`, `canary/-/weight-10`) are a protocol users
 * keep in their stores: model/step-ref.ts alone formats and parses them. This test finds step ids
 * taken apart or put together by hand anywhere else in src/.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the samples are source lines, templates as text
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

/** Ways a step id is split or built by hand. */
const AD_HOC: { what: string; pattern: RegExp }[] = [
  { what: 'split on "/"', pattern: /\b\w*(?:[iI]d|[sS]tep)\w*\b[^\n]*\.split\(\s*['"`]\/['"`]/ },
  { what: 'indexOf "/"', pattern: /\b\w*(?:[iI]d|[sS]tep)\w*\b[^\n]*\.indexOf\(\s*['"`]\/['"`]/ },
  { what: 'the rollback/ prefix', pattern: /['"`]rollback\/(?:['"`]\s*[),:?+]|\$\{)/ },
  { what: 'a service-level step built by hand', pattern: /\/-\/(?:\$\{|['"`])/ },
  { what: 'a <service>/<host>/<phase> template', pattern: /\$\{[^}]+\}\/\$\{[^}]+\}\/(?:\$\{|[\w:-])/ },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Hits in code; comments may show step ids as they look. */
function adHoc(text: string): string[] {
  return text.split('\n').flatMap((line, i) => {
    if (/^\s*(\/\/|\*|\/\*\*)/.test(line)) return [];
    return AD_HOC.filter(({ pattern }) => pattern.test(line)).map(
      ({ what }) => `${i + 1}: ${what}: ${line.trim()}`,
    );
  });
}

describe('step ids', () => {
  it('are formatted and parsed only in model/step-ref.ts', () => {
    const found = sourceFiles(join(root, 'src'))
      .filter((f) => !f.endsWith('.test.ts') && !f.endsWith('/model/step-ref.ts'))
      // Fakes key their calls by service, host and action kind: a name of their own, not a step id.
      .filter((f) => !f.includes('/src/testing/'))
      .flatMap((f) => adHoc(readFileSync(f, 'utf8')).map((hit) => `${f.slice(root.length)}:${hit}`));
    expect(found).toEqual([]);
  });

  it('would see each way they were taken apart and put together before', () => {
    const before = [
      "const name = s.stepId.split('/', s.stepId.startsWith('rollback/') ? 2 : 1).join('/');",
      "if (stepId.startsWith('rollback/')) return undefined;",
      "const first = stepId.indexOf('/');",
      'if (moves.some((d) => started.has(`${svc.name}/-/${d.id}`))) routed.add(s);',
      'started.has(`${svc.name}/${target.host.name}/${p.id}`)',
      "return `${rollback ? 'rollback/' : ''}${service}/${host}/${phase}`;",
      'return (id) => id === path || id.startsWith(under) || id.startsWith(`rollback/${under}`);',
    ];
    for (const line of before) expect(adHoc(line), line).not.toEqual([]);
    // Paths that are no step ids stay allowed.
    expect(adHoc("const version = cwd.slice(releases.length + 1).split('/')[0] ?? '';")).toEqual([]);
    expect(adHoc('pidFile: `${runDir}/${name}.pid`,')).toEqual([]);
    expect(adHoc("'`rollback/` selects every rollback step'")).toEqual([]);
  });
});
