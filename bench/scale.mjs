// Scale benchmarks: planning 20 services × 10,000 hosts, a simulated run of it (the `simulate`
// provider only waits), simulated first deploys of one group of 200,000 hosts and of 1,000,000
// targets, `validate` of 60,000 services, and the durable event throughput of the SQLite store.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { median } from './report.mjs';

function scaleProject(dir, services, hosts) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const lines = ['defaults:\n  concurrency: 256\n  provider: simulate\nservices:'];
  for (let s = 1; s <= services; s++) {
    lines.push(`  s${s}:\n    group: fleet${s > 1 ? `\n    needs: [s${s - 1}]` : ''}\n    steps: [{ run: "deploy" }]`);
  }
  const names = Array.from({ length: hosts }, (_, i) => `h${i + 1}`).join(', ');
  lines.push(`environments:\n  bench:\n    groups:\n      fleet:\n        hosts: [${names}]`);
  writeFileSync(join(dir, 'marshal.yaml'), `${lines.join('\n')}\n`);
}

/**
 * `count` services as a generated inventory writes them (~29 bytes each: 60,000 make 1.7 MB), in
 * ten groups, every tenth needing the one before it: what `validate` reads and checks.
 */
function validateProject(dir, count) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const lines = ['defaults:\n  provider: simulate\nservices:'];
  for (let s = 1; s <= count; s++) {
    lines.push(`  s${s}:\n    group: pool${s % 10}${s % 10 === 0 ? `\n    needs: [s${s - 1}]` : ''}`);
  }
  lines.push('environments:\n  bench:\n    groups:');
  for (let g = 0; g < 10; g++) lines.push(`      pool${g}:\n        hosts: [pool${g}-h1, pool${g}-h2]`);
  const file = join(dir, 'marshal.yaml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return statSync(file).size;
}

/** Median wall time and median peak RSS of `runs` runs, each after `prepare`. */
function medianOf(runs, prepare, run) {
  const samples = [];
  for (let k = 0; k < runs; k++) {
    prepare();
    samples.push(run());
  }
  return { wall: median(samples.map((x) => x.wall)), rssMiB: median(samples.map((x) => x.rssMiB)) };
}

const timeAndRss = (m, digits = 1) => `${m.wall.toFixed(digits)} s, peak RSS ${m.rssMiB.toFixed(0)} MiB`;

function measure(root, cwd, cmd) {
  const out = execFileSync('python3', [join(root, 'bench', 'measure.py'), cwd, ...cmd], { encoding: 'utf8' });
  const [wall, rss, code] = out.trim().split(' ').map(Number);
  if (code !== 0) throw new Error(`${cmd.join(' ')} exited ${code}`);
  return { wall, rssMiB: rss / 1024 };
}

/**
 * Durable events per second: `writers` loops, each appending `batch` events per call and
 * waiting until they are on disk before the next call — as steps in flight do, each with its
 * own events. With one writer every event waits for its own fdatasync: that is the disk's
 * latency, not the store's throughput.
 */
async function eventThroughput(root, dir, batch, total, writers = 1) {
  const { openStore } = await import(join(root, 'dist', 'store', 'index.js'));
  rmSync(dir, { recursive: true, force: true });
  const store = await openStore(undefined, dir, { create: true });
  const plan = { format: 1, kind: 'deploy', environment: 'bench', project: null, configDigest: 'x', projectDir: dir, variables: {}, services: [], unchanged: [], limits: { global: 1, environment: null }, rollbackOnFailure: true, estimate: null };
  const run = await store.createRun({ environment: 'bench', kind: 'deploy', actor: 'bench', reason: null, plan, at: Date.now() });
  const start = performance.now();
  let next = 0;
  const writer = async () => {
    while (next < total) {
      const from = next;
      next = Math.min(total, next + batch);
      const events = [];
      for (let j = from; j < next; j++) {
        events.push({ type: 'step.started', runId: run.id, stepId: `s/h${j}/run`, at: Date.now(), data: { attempt: 1 } });
      }
      await store.append(events);
    }
  };
  await Promise.all(Array.from({ length: writers }, writer));
  const seconds = (performance.now() - start) / 1000;
  await store.close();
  return Math.round(total / seconds);
}

export async function scaleBenchmarks(root, outDir, { smoke }) {
  const services = 20;
  const hosts = smoke ? 50 : 10_000;
  const dir = join(outDir, 'scale');
  scaleProject(dir, services, hosts);
  const cli = [process.execPath, join(root, 'bin', 'marshal.js')];
  // The first deploy, then what a user does next: plan and deploy an upgrade of the fleet that
  // now runs v1 — the store holds every target's version and a run's history by then, which
  // planning reads (an empty store flattered both the plan's time and the run's memory).
  const first = measure(root, dir, [...cli, 'deploy', 'bench', '--version', 'v1', '-q']);
  const plans = [1, 2, 3].map(() => measure(root, dir, [...cli, 'plan', 'bench', '--version', 'v2']).wall);
  plans.sort((a, b) => a - b);
  const upgrade = measure(root, dir, [...cli, 'deploy', 'bench', '--version', 'v2', '-q']);
  // And back: rollback reads the history of succeeded runs to choose the release (v1).
  const rollback = measure(root, dir, [...cli, 'rollback', 'bench', '-q']);
  // What is read most often at that size: the fleet's status and the history.
  const status = measure(root, dir, [...cli, 'status', 'bench']);
  const history = measure(root, dir, [...cli, 'history', 'bench']);
  // A warm-up, then the median of three: one pass is at the mercy of the disk's mood.
  const throughput = async (name, batch, total, writers = 1) => {
    await eventThroughput(root, join(outDir, name), batch, Math.min(total, 1_000), writers);
    const rates = [];
    for (let k = 0; k < 3; k++) rates.push(await eventThroughput(root, join(outDir, name), batch, total, writers));
    return rates.sort((a, b) => a - b)[1];
  };
  const perEvent = await throughput('events-1', 1, smoke ? 200 : 5_000);
  const perEventConcurrent = await throughput('events-1x16', 1, smoke ? 400 : 20_000, 16);
  const batched = await throughput('events-50', 50, smoke ? 1_000 : 50_000);
  // Sizes where lists that grow with the config once overflowed the stack (a spread of 200,000
  // targets) or took quadratic time (duplicate keys of 60,000 services): first deploys into an
  // empty store, each run on its own; medians, as one run is at the mercy of the machine's load.
  const runs = smoke ? 1 : 3;
  const firstDeploy = (name, services, hostCount) => {
    const at = join(outDir, name);
    scaleProject(at, services, hostCount);
    const result = medianOf(
      runs,
      () => rmSync(join(at, '.marshal'), { recursive: true, force: true }),
      () => measure(root, at, [...cli, 'deploy', 'bench', '--version', 'v1', '-q']),
    );
    rmSync(at, { recursive: true, force: true });
    return result;
  };
  const groupHosts = smoke ? 2_000 : 200_000;
  const oneGroup = firstDeploy('one-group', 1, groupHosts);
  const [wideServices, wideHosts] = smoke ? [5, 200] : [50, 20_000];
  const million = firstDeploy('million', wideServices, wideHosts);
  const validateServices = smoke ? 600 : 60_000;
  const validateRuns = smoke ? 1 : 5;
  const validateDir = join(outDir, 'validate');
  const bytes = validateProject(validateDir, validateServices);
  const validate = medianOf(validateRuns, () => {}, () => measure(root, validateDir, [...cli, 'validate']));
  return {
    [`simulated first deploy of ${services} services × ${hosts} hosts (${services * hosts} steps, 1 ms each, concurrency 256)`]: `${first.wall.toFixed(1)} s, peak RSS ${first.rssMiB.toFixed(0)} MiB`,
    [`plan of its upgrade v1 → v2 (every target live, with history; median of 3)`]: `${plans[1].toFixed(2)} s`,
    [`simulated upgrade v1 → v2 (${services * hosts} steps)`]: `${upgrade.wall.toFixed(1)} s, peak RSS ${upgrade.rssMiB.toFixed(0)} MiB`,
    [`simulated rollback v2 → v1 (${services * hosts} steps)`]: `${rollback.wall.toFixed(1)} s, peak RSS ${rollback.rssMiB.toFixed(0)} MiB`,
    [`status of the ${services * hosts} targets, then history`]: `${status.wall.toFixed(2)} s, ${history.wall.toFixed(2)} s`,
    [`simulated first deploy of one group of ${groupHosts} hosts (1 service, ${groupHosts} steps; median of ${runs})`]: timeAndRss(oneGroup),
    [`simulated first deploy of ${wideServices} services × ${wideHosts} hosts (${wideServices * wideHosts} targets; median of ${runs})`]: timeAndRss(million),
    [`validate of ${validateServices} services (${bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.round(bytes / 1e3)} kB`}; median of ${validateRuns})`]: timeAndRss(validate, 2),
    'durable events/s, one commit per event, one writer waiting for each (median of 3)': `${perEvent}`,
    'durable events/s, one commit per event, 16 writers as steps in flight (median of 3)': `${perEventConcurrent}`,
    'durable events/s, group commit of 50 (median of 3)': `${batched}`,
  };
}
