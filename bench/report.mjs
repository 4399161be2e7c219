// Formats benchmark results as a Markdown report and writes docs/benchmarks.md.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { totalmem } from 'node:os';

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const version = (cmd, args = ['--version']) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).split('\n')[0].trim();
  } catch {
    return 'not installed';
  }
};

export function machine(cpus) {
  return {
    cpu: `${cpus.length} × ${cpus[0]?.model ?? 'unknown'}`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    os: version('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"']),
    node: process.version,
    make: version('make'),
    terraform: version('terraform', ['version']),
  };
}

const s = (x) => `${x.toFixed(3)} s`;

/** The `## Scale` section; `pass` says where its numbers come from when it is not the full pass. */
function scaleSection(scale, pass) {
  const lines = ['## Scale', ''];
  if (pass) lines.push(pass, '');
  lines.push('| measurement | result |', '| --- | --- |');
  for (const [k, v] of Object.entries(scale)) lines.push(`| ${k} | ${v} |`);
  lines.push(
    '',
    'Every event of the three event rows is durable (an fdatasync of the WAL) before its `append` returns.',
    "With one writer that waits for each, the rate is one over the disk's fdatasync latency; writers in",
    "flight together — a run's steps, each appending its own events in its own transaction — share each",
    "fdatasync, and a run commits a step's outcome with the next start (group commit).",
  );
  return lines;
}

/**
 * `text` (docs/benchmarks.md) with its Scale section replaced by this pass's: `--scale-only`
 * measures only that section, and the others keep the numbers of the last full pass.
 */
export function replaceScaleSection(text, scale, pass) {
  const start = text.indexOf('\n## Scale\n');
  if (start === -1) throw new Error('docs/benchmarks.md has no Scale section to replace');
  const next = text.indexOf('\n## ', start + 1);
  const section = `${scaleSection(scale, pass).join('\n')}\n`;
  return `${text.slice(0, start + 1)}${section}${next === -1 ? '' : text.slice(next)}`;
}

/**
 * The last section of docs/benchmarks.md is written by hand, not measured by this pass: what the
 * time went to and what was tried. A full pass rewrites everything above it and keeps it.
 */
export const NOTES_HEADING = '## What the time went to, and what kept it low';

/** The hand-written notes at the end of `text` (docs/benchmarks.md), from their heading on; '' if none. */
export function notesOf(text) {
  const start = text.indexOf(`\n${NOTES_HEADING}\n`);
  return start === -1 ? '' : text.slice(start + 1);
}

export function writeReport({ rows, startup, scale, fleet, runs, command, machine: m, write }) {
  const lines = [
    '# Benchmarks',
    '',
    'Marshal against GNU make (the limit for running a graph of commands) and Terraform',
    '(`terraform_data` + `local-exec`), on the same workloads, interleaved (A B A B …) after',
    `a warm-up round; ${runs} timed runs each. Wall time and peak RSS of the largest process.`,
    'Marshal runs with its durable store: every state change is on disk (an fdatasync of the',
    'SQLite WAL, shared by the commits made while it runs) before it is acted on — the same',
    'settings the kill -9 + resume test uses.',
    '',
    'Every tool runs without `NODE_EXTRA_CA_CERTS`: when set, Node parses that certificate bundle',
    'before running any code (40–60 ms on this machine, whose sandbox sets it for a TLS proxy).',
    'It is a property of the environment, not of Marshal; the start-up line below gives both.',
    '',
    `Command: \`${command}\` (from a clean clone: \`npm ci && npm run bench\`)`,
    '',
    `Machine: ${m.cpu}, ${m.memory}, ${m.os}; Node ${m.node}; ${m.make}; ${m.terraform}.`,
    '',
    '| workload | tool | median | min | max | peak RSS | ratio to make |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.workload} | ${r.tool} | ${s(r.median)} | ${s(r.min)} | ${s(r.max)} | ${r.rssMiB.toFixed(0)} MiB | ${r.ratio.toFixed(2)}× |`,
    ),
    '',
    'Workloads: W1-N is N no-op tasks (`true`) in a layered graph (node (l, i) needs (l−1, i)',
    'and (l−1, (i+1) mod W)) — W1-100 is 10×10 at concurrency 8, W1-1000 50×20 at 8; W2 is',
    '200 tasks of `sleep 0.05`, 20×10 at concurrency 20 (critical path 0.50 s); W3 is 50',
    'hosts (local directories) in batches of 10: upload the release, switch the `current`',
    'link, check it. Marshal deploys a new version each round (`--version rN`).',
    '',
    '`node floor` is `bench/floor.cjs`: a bare Node script that runs the same commands, in the same',
    'order and concurrency, each in its own process (a subshell of one of its long-lived shells, one',
    'per unit of concurrency), and does nothing else — no config, no plan, no store, no durability,',
    'no output kept. On W3 it writes the release and switches the link itself, with synchronous file',
    'calls (as Marshal does, not by processes as make does), and runs the check as a process. It is',
    "the least a Node tool takes on this machine; what Marshal takes beyond it is Marshal's own cost.",
    '',
    `Start-up: \`marshal --help\` median ${s(startup.median)}${
      startup.withCaBundle
        ? ` (${s(startup.withCaBundle.median)} with NODE_EXTRA_CA_CERTS=${startup.withCaBundle.path})`
        : ''
    }.`,
    '',
    `Node's own start (\`node -e 0\`) took ${s(startup.node)} in this pass. This VM's speed varies`,
    'with other load on its host (Node alone takes 0.020–0.035 s from one hour to the next):',
    'every tool slows with it, so ratios measured in one pass hold better than absolute times,',
    "and the W2 overhead, an absolute figure, moves most; make's is given beside Marshal's.",
  ];
  const ratio = (w) => rows.find((r) => r.workload === w && r.tool === 'marshal')?.ratio;
  const w2 = rows.find((r) => r.workload === 'W2' && r.tool === 'marshal');
  const overhead = (r) => `${(((r.median - 0.5) / 0.5) * 100).toFixed(1)}%`;
  const w2make = rows.find((r) => r.workload === 'W2' && r.tool === 'make');
  const w2floor = rows.find((r) => r.workload === 'W2' && r.tool === 'node floor');
  const beside = [w2make && `make: ${overhead(w2make)}`, w2floor && `node floor: ${overhead(w2floor)}`].filter(Boolean);
  if (w2)
    lines.push(
      '',
      `W2 overhead over the 0.50 s critical path: ${overhead(w2)}${beside.length ? ` (${beside.join('; ')})` : ''}.`,
    );
  for (const w of ['W1-100', 'W2', 'W3']) {
    const tf = rows.find((r) => r.workload === w && r.tool === 'terraform');
    const ms = rows.find((r) => r.workload === w && r.tool === 'marshal');
    if (tf && ms) lines.push(`${w}: Marshal is ${(tf.median / ms.median).toFixed(1)}× faster than Terraform.`);
  }
  if (ratio('W1-1000') !== undefined) lines.push(`W1-1000: ${ratio('W1-1000').toFixed(2)}× make.`);
  if (scale) lines.push('', ...scaleSection(scale));
  if (fleet) {
    lines.push(
      '',
      '## Fleet over SSH',
      '',
      `50 real sshd hosts on this machine (own users, ports and host keys), batches of 10: upload a release,`,
      'switch `current`, check it. Marshal (ssh provider, one pooled connection per host) against',
      `ansible-playbook (${version('ansible-playbook')}, \`serial: 10\`, pipelining, ControlPersist), interleaved; ${fleet.runs} runs each after a warm-up.`,
      '',
      '| tool | median | min | max | peak RSS |',
      '| --- | --- | --- | --- | --- |',
      ...['marshal', 'ansible'].map(
        (t) => `| ${t} | ${s(fleet[t].median)} | ${s(fleet[t].min)} | ${s(fleet[t].max)} | ${fleet[t].rssMiB.toFixed(0)} MiB |`,
      ),
      '',
      `Marshal is ${(fleet.ansible.median / fleet.marshal.median).toFixed(1)}× faster than Ansible (medians).`,
    );
  }
  const text = `${lines.join('\n')}\n`;
  if (write) {
    const doc = new URL('../docs/benchmarks.md', import.meta.url);
    const notes = existsSync(doc) ? notesOf(readFileSync(doc, 'utf8')) : '';
    writeFileSync(doc, notes === '' ? text : `${text}\n${notes}`);
  }
  return text;
}
