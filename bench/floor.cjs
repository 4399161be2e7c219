// The floor for any Node.js tool on a workload: a bare script that runs the same graph with
// nothing else — no config, no plan, no store, no durability, no output captured. It starts one
// long-lived /bin/sh per unit of concurrency (the cheapest way found for Node to run commands:
// a spawn costs the event loop ~1 ms, a line written to an idle shell a tenth of that) and
// writes each command to a free one, to run in a subshell: each command its own process, as
// make and Marshal give it (`true` is a builtin of the shell, which would otherwise run it in
// place, for nothing). Whatever a Node tool adds to this is its own overhead.
//
//   node bench/floor.cjs WORKLOAD.json VERSION     (written by workloads.mjs beside the Makefile)
'use strict';
const { spawn } = require('node:child_process');
const { mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } = require('node:fs');

const w = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const version = process.argv[3];

/** Shells that run one command each at a time; run() resolves with its exit status. */
function shells(count) {
  const idle = [];
  const waiting = [];
  const start = () => {
    const sh = spawn('/bin/sh', [], { stdio: ['pipe', 'pipe', 'inherit'] });
    // A shell that dies (a command killed it, or a syntax error ended it) fails the run.
    sh.on('exit', (code, signal) => {
      process.stderr.write(`a shell exited (${signal ?? code}) before the work was done\n`);
      process.exit(1);
    });
    const shell = { sh, done: null };
    let text = '';
    sh.stdout.on('data', (chunk) => {
      text += chunk;
      if (!text.endsWith('\n')) return;
      const status = Number(text);
      text = '';
      const done = shell.done;
      shell.done = null;
      const next = waiting.shift();
      if (next) give(shell, next);
      else idle.push(shell);
      done(status);
    });
    return shell;
  };
  const give = (shell, job) => {
    shell.done = job.done;
    shell.sh.stdin.write(`(${job.command}) </dev/null >/dev/null; echo $?\n`);
  };
  for (let i = 0; i < count; i++) idle.push(start());
  return {
    run: (command) =>
      new Promise((done) => {
        const shell = idle.pop();
        if (shell) give(shell, { command, done });
        else waiting.push({ command, done });
      }),
    end: () => process.exit(0),
  };
}

// The work ends with process.exit(0); an event loop that empties before is work left undone.
process.on('beforeExit', () => {
  process.stderr.write('stopped before the work was done\n');
  process.exit(1);
});

const check = (status, what) => {
  if (status !== 0) {
    process.stderr.write(`${what} exited ${status}\n`);
    process.exit(1);
  }
};

async function graph() {
  const pool = shells(w.concurrency);
  const id = (l, i) => l * w.width + i;
  const left = new Array(w.width * w.depth).fill(0);
  const dependents = Array.from({ length: left.length }, () => []);
  for (let l = 1; l < w.depth; l++)
    for (let i = 0; i < w.width; i++)
      for (const d of new Set([i, (i + 1) % w.width])) {
        left[id(l, i)]++;
        dependents[id(l - 1, d)].push(id(l, i));
      }
  let remaining = left.length;
  await new Promise((allDone) => {
    const run = (n) =>
      pool.run(w.command).then((status) => {
        check(status, w.command);
        if (--remaining === 0) allDone();
        for (const m of dependents[n]) if (--left[m] === 0) run(m);
      });
    for (let i = 0; i < w.width; i++) run(id(0, i));
  });
  pool.end();
}

// W3's file work (release directory, RELEASE, the `current` link) is done here, as Marshal's local
// provider does it; the check (`grep`) runs as a process, as the user's command it stands for.
async function hosts() {
  const pool = shells(w.batch);
  for (let b = 0; b * w.batch < w.hosts; b++) {
    const batch = [];
    for (let i = b * w.batch; i < Math.min(w.hosts, (b + 1) * w.batch); i++) {
      const app = `hosts/h${i + 1}/app`;
      mkdirSync(`${app}/releases/${version}`, { recursive: true });
      writeFileSync(`${app}/releases/${version}/RELEASE`, `${version}\n`);
      rmSync(`${app}/current.tmp`, { force: true });
      symlinkSync(`releases/${version}`, `${app}/current.tmp`);
      renameSync(`${app}/current.tmp`, `${app}/current`);
      const grep = `grep -qx ${version} ${app}/current/RELEASE`;
      batch.push(pool.run(grep).then((status) => check(status, grep)));
    }
    await Promise.all(batch);
  }
  pool.end();
}

(w.kind === 'graph' ? graph() : hosts()).catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
