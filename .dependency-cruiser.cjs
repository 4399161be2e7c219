/**
 * Dependencies point downward (docs/ARCHITECTURE.md):
 *   cli/server → engine → plan → dag, model;  config → dag, model;
 *   providers and store implement interfaces declared in model.
 * test/architecture.test.ts runs this, so the shape cannot rot.
 */
const layer = (name, allowed) => ({
  name: `${name}-depends-only-downward`,
  comment: `src/${name} may import only from: ${allowed.join(', ') || 'nothing in src'}`,
  severity: 'error',
  from: { path: `^src/${name}/` },
  to: { path: '^src/', pathNot: [`^src/${name}/`, ...allowed.map((a) => `^src/${a}/`)] },
});

module.exports = {
  forbidden: [
    layer('model', []),
    layer('dag', []),
    layer('config', ['model', 'dag']),
    layer('plan', ['model', 'dag']),
    layer('engine', ['model', 'dag', 'plan']),
    layer('providers', ['model']),
    layer('store', ['model']),
    layer('testing', ['model', 'dag', 'plan', 'engine', 'store', 'providers', 'config']),
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'production-code-does-not-use-testing',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/testing/', '\\.test\\.ts$'] },
      to: { path: '^src/testing/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
