// npm run bench — Marshal against GNU make (the limit) and Terraform (a peer, when installed) on the
// same workloads, interleaved (A B A B …) after a warm-up round; medians, min, max, peak RSS, ratio
// to make. Writes docs/benchmarks.md unless --smoke or --no-write.
//
//   node bench/run.mjs [--runs 7] [--only W1-100,W2] [--no-terraform] [--no-scale] [--no-fleet] [--smoke] [--no-write]
//   node bench/run.mjs --scale-only [--smoke] [--no-write]   (only the Scale section of docs/benchmarks.md)
//
// The fleet workload (50 sshd hosts, Marshal against ansible-playbook) runs when sshd and
// ansible-playbook are installed and we are root.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { machine, median, replaceScaleSection, writeReport } from './report.mjs';
import { fleetBenchmark } from './fleet.mjs';
import { scaleBenchmarks } from './scale.mjs';
import { generate, prepareArtifact, SMOKE, WORKLOADS } from './workloads.mjs';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const smoke = flag('smoke');
const runs = Number(option('runs', smoke ? '1' : '7'));
const selected = option('only', undefined)?.split(',');
const workloads = Object.entries(smoke ? SMOKE : WORKLOADS).filter(([name]) => !selected || selected.includes(name));
const outDir = join(root, 'bench', 'out');
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const useTerraform = !smoke && !flag('no-terraform') && has('terraform');

// NODE_EXTRA_CA_CERTS makes every Node process parse the named PEM bundle before running any
// code: 40–60 ms here, where the sandbox sets it for its TLS proxy. It is not Marshal's cost and
// would be absent on a user's machine, so tools run without it; start-up is also reported with it.
const caBundle = process.env.NODE_EXTRA_CA_CERTS;
delete process.env.NODE_EXTRA_CA_CERTS;

function measure(cwd, cmd, env = {}) {
  const out = execFileSync('python3', [join(root, 'bench', 'measure.py'), cwd, ...cmd], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  const [wall, rss, code] = out.trim().split(' ').map(Number);
  if (code !== 0) throw new Error(`${cmd.join(' ')} in ${cwd} exited ${code}`);
  return { wall, rssMiB: rss / 1024 };
}

/** The tools that run a workload; each returns a function doing one timed run of round k. */
function tools(name, w, dir) {
  const concurrency = w.kind === 'graph' ? w.concurrency : w.batch;
  const list = [
    {
      tool: 'marshal',
      prepare: (k) => w.kind === 'hosts' && prepareArtifact(dir, `r${k}`),
      run: (k) => measure(dir, [process.execPath, join(root, 'bin', 'marshal.js'), 'deploy', 'bench', '--version', `r${k}`, '-q']),
    },
    { tool: 'make', prepare: () => {}, run: (k) => measure(dir, ['make', '-s', `-j${concurrency}`, `V=r${k}`]) },
    {
      tool: 'node floor',
      prepare: () => {},
      run: (k) => measure(dir, [process.execPath, join(root, 'bench', 'floor.cjs'), 'workload.json', `r${k}`]),
    },
  ];
  // Terraform's walk grows superlinearly (33 s for W1-1000 in notes/peers.md): compared where it finishes in seconds.
  if (useTerraform && name !== 'W1-1000') {
    const tf = join(dir, 'tf');
    execFileSync('terraform', ['init', '-input=false'], { cwd: tf, stdio: 'ignore' });
    list.push({
      tool: 'terraform',
      prepare: () => rmSync(join(tf, 'terraform.tfstate'), { force: true }),
      run: (k) =>
        measure(join(tf), ['terraform', 'apply', '-auto-approve', '-input=false', `-parallelism=${concurrency}`], {
          V: `r${k}`,
          // W3 writes under hosts/ relative to the workload dir, as make and marshal do.
          TF_DATA_DIR: join(tf, '.terraform'),
        }),
      cwd: tf,
    });
  }
  return list;
}

function benchWorkload(name, w) {
  const dir = join(outDir, name);
  generate(name, w, dir);
  if (w.kind === 'hosts') {
    // Terraform runs in tf/: give it the same hosts/ tree through a link.
    mkdirSync(join(dir, 'hosts'), { recursive: true });
    execFileSync('ln', ['-sfn', '../hosts', join(dir, 'tf', 'hosts')]);
  }
  const list = tools(name, w, dir);
  const samples = Object.fromEntries(list.map((t) => [t.tool, []]));
  for (let k = 0; k <= runs; k++) {
    for (const t of list) {
      t.prepare(k);
      const sample = t.run(k);
      if (k > 0) samples[t.tool].push(sample); // round 0 is the warm-up
    }
    process.stderr.write('.');
  }
  process.stderr.write(` ${name}\n`);
  const makeMedian = median(samples.make.map((s) => s.wall));
  return list.map(({ tool }) => {
    const walls = samples[tool].map((s) => s.wall);
    return {
      workload: name,
      tool,
      median: median(walls),
      min: Math.min(...walls),
      max: Math.max(...walls),
      rssMiB: Math.max(...samples[tool].map((s) => s.rssMiB)),
      ratio: median(walls) / makeMedian,
    };
  });
}

function startupTime(env = {}, cmd = [process.execPath, join(root, 'bin', 'marshal.js'), '--help']) {
  const walls = [];
  for (let k = 0; k < Math.max(5, runs); k++) walls.push(measure(root, cmd, env).wall);
  return median(walls);
}

mkdirSync(outDir, { recursive: true });
if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
if (flag('scale-only')) {
  // The Scale section alone, spliced into the report of the last full pass.
  const scale = await scaleBenchmarks(root, outDir, { smoke });
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const pass = `Measured by \`node bench/run.mjs --scale-only\` (${when} UTC, at ${commit}; ${machine(cpus()).cpu}); the sections above are from the last full pass.`;
  const doc = new URL('../docs/benchmarks.md', import.meta.url);
  const text = replaceScaleSection(readFileSync(doc, 'utf8'), scale, pass);
  if (!smoke && !flag('no-write')) writeFileSync(doc, text);
  process.stdout.write(text);
  process.exit(0);
}
const rows = workloads.flatMap(([name, w]) => benchWorkload(name, w));
const startup = {
  median: startupTime(),
  // How busy the machine was during this pass: every tool slows with it.
  node: startupTime({}, [process.execPath, '-e', '0']),
  withCaBundle: caBundle ? { path: caBundle, median: startupTime({ NODE_EXTRA_CA_CERTS: caBundle }) } : null,
};
const scale = flag('no-scale') ? null : await scaleBenchmarks(root, outDir, { smoke });
const canFleet = !smoke && !flag('no-fleet') && has('ansible-playbook') && has('/usr/sbin/sshd') && process.getuid?.() === 0;
let fleet = null;
if (canFleet) {
  const samples = await fleetBenchmark(root, outDir, { runs: Math.min(runs, 5), measure });
  const summary = (list) => ({
    median: median(list.map((s) => s.wall)),
    min: Math.min(...list.map((s) => s.wall)),
    max: Math.max(...list.map((s) => s.wall)),
    rssMiB: Math.max(...list.map((s) => s.rssMiB)),
  });
  fleet = { marshal: summary(samples.marshal), ansible: summary(samples.ansible), runs: samples.marshal.length };
}
const command = `node bench/run.mjs ${args.join(' ')}`.trim();
const report = writeReport({ rows, startup, scale, fleet, runs, command, machine: machine(cpus()), write: !smoke && !flag('no-write') });
process.stdout.write(report);
