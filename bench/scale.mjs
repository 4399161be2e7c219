// Scale benchmarks: planning 20 services × 10,000 hosts, a simulated run of it (the `simulate`
// provider only waits), and the durable event throughput of the SQLite store.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
  return {
    [`simulated first deploy of ${services} services × ${hosts} hosts (${services * hosts} steps, 1 ms each, concurrency 256)`]: `${first.wall.toFixed(1)} s, peak RSS ${first.rssMiB.toFixed(0)} MiB`,
    [`plan of its upgrade v1 → v2 (every target live, with history; median of 3)`]: `${plans[1].toFixed(2)} s`,
    [`simulated upgrade v1 → v2 (${services * hosts} steps)`]: `${upgrade.wall.toFixed(1)} s, peak RSS ${upgrade.rssMiB.toFixed(0)} MiB`,
    [`simulated rollback v2 → v1 (${services * hosts} steps)`]: `${rollback.wall.toFixed(1)} s, peak RSS ${rollback.rssMiB.toFixed(0)} MiB`,
    [`status of the ${services * hosts} targets, then history`]: `${status.wall.toFixed(2)} s, ${history.wall.toFixed(2)} s`,
    'durable events/s, one commit per event, one writer waiting for each (median of 3)': `${perEvent}`,
    'durable events/s, one commit per event, 16 writers as steps in flight (median of 3)': `${perEventConcurrent}`,
    'durable events/s, group commit of 50 (median of 3)': `${batched}`,
  };
}
