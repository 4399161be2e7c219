// Benchmark workloads, generated as a Marshal project and as a Makefile (and a Terraform
// configuration) that do the same work. Layered DAG: node (l, i) needs (l-1, i) and (l-1, (i+1) mod W).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const WORKLOADS = {
  'W1-100': { kind: 'graph', width: 10, depth: 10, concurrency: 8, command: 'true' },
  'W1-1000': { kind: 'graph', width: 50, depth: 20, concurrency: 8, command: 'true' },
  W2: { kind: 'graph', width: 20, depth: 10, concurrency: 20, command: 'sleep 0.05' },
  W3: { kind: 'hosts', hosts: 50, batch: 10 },
};

/** Tiny sizes for the smoke test in the unit suite. */
export const SMOKE = {
  'W1-smoke': { kind: 'graph', width: 3, depth: 3, concurrency: 2, command: 'true' },
  'W3-smoke': { kind: 'hosts', hosts: 4, batch: 2 },
};

const node = (l, i) => `n${l}_${i}`;

function graphDeps(w, l, i) {
  return l === 0 ? [] : [...new Set([node(l - 1, i), node(l - 1, (i + 1) % w.width)])];
}

function marshalGraph(w) {
  const lines = [`defaults:\n  concurrency: ${w.concurrency}\nservices:`];
  for (let l = 0; l < w.depth; l++) {
    for (let i = 0; i < w.width; i++) {
      const needs = graphDeps(w, l, i);
      lines.push(`  ${node(l, i)}:\n    group: app${needs.length ? `\n    needs: [${needs.join(', ')}]` : ''}\n    steps: [{ run: "${w.command}" }]`);
    }
  }
  lines.push('environments:\n  bench:\n    groups:\n      app:\n        hosts: [{ name: h1, root: hosts/h1 }]');
  return `${lines.join('\n')}\n`;
}

function makeGraph(w) {
  const all = [];
  const rules = [];
  for (let l = 0; l < w.depth; l++) {
    for (let i = 0; i < w.width; i++) {
      all.push(node(l, i));
      rules.push(`${node(l, i)}: ${graphDeps(w, l, i).join(' ')}\n\t@${w.command}`);
    }
  }
  return `.PHONY: all ${all.join(' ')}\nall: ${all.join(' ')}\n${rules.join('\n')}\n`;
}

function terraformGraph(w) {
  const blocks = [];
  for (let l = 0; l < w.depth; l++) {
    for (let i = 0; i < w.width; i++) {
      const deps = graphDeps(w, l, i).map((d) => `terraform_data.${d}`);
      blocks.push(
        `resource "terraform_data" "${node(l, i)}" {\n  depends_on = [${deps.join(', ')}]\n  provisioner "local-exec" {\n    command = "${w.command}"\n  }\n}`,
      );
    }
  }
  return `${blocks.join('\n')}\n`;
}

// W3: per host write releases/<v>/RELEASE, switch the `current` link, check it reads <v>; batches of `batch`.
function marshalHosts(w) {
  const hosts = Array.from({ length: w.hosts }, (_, i) => `{ name: h${i + 1}, root: hosts/h${i + 1} }`);
  return `defaults:
  concurrency: ${w.batch}
services:
  app:
    group: app
    artifact: artifact/{{ version }}
    strategy: { type: rolling, batchSize: ${w.batch} }
    health:
      command: grep -qx {{ version }} {{ host.root }}/app/current/RELEASE
      interval: 10ms
environments:
  bench:
    groups:
      app:
        hosts: [${hosts.join(', ')}]
`;
}

function makeHosts(w) {
  const batches = [];
  const rules = [];
  for (let b = 0; b * w.batch < w.hosts; b++) {
    const members = [];
    for (let i = b * w.batch; i < Math.min(w.hosts, (b + 1) * w.batch); i++) {
      const h = `hosts/h${i + 1}/app`;
      members.push(`h${i + 1}`);
      rules.push(
        `h${i + 1}: ${b === 0 ? '' : `batch${b - 1}`}\n\t@mkdir -p ${h}/releases/$(V) && echo $(V) > ${h}/releases/$(V)/RELEASE && ln -sfn releases/$(V) ${h}/current.tmp && mv -T ${h}/current.tmp ${h}/current && grep -qx $(V) ${h}/current/RELEASE`,
      );
    }
    batches.push(`batch${b}: ${members.join(' ')}`);
  }
  const n = batches.length;
  return `.PHONY: all ${Array.from({ length: n }, (_, b) => `batch${b}`).join(' ')}\nall: batch${n - 1}\n${batches.join('\n')}\n${rules.join('\n')}\n`;
}

function terraformHosts(w) {
  const blocks = [];
  for (let i = 0; i < w.hosts; i++) {
    const b = Math.floor(i / w.batch);
    const prev = b === 0 ? [] : Array.from({ length: w.batch }, (_, k) => `terraform_data.h${(b - 1) * w.batch + k + 1}`);
    const h = `hosts/h${i + 1}/app`;
    blocks.push(
      `resource "terraform_data" "h${i + 1}" {\n  depends_on = [${prev.join(', ')}]\n  provisioner "local-exec" {\n    command = "mkdir -p ${h}/releases/$V && echo $V > ${h}/releases/$V/RELEASE && ln -sfn releases/$V ${h}/current.tmp && mv -T ${h}/current.tmp ${h}/current && grep -qx $V ${h}/current/RELEASE"\n  }\n}`,
    );
  }
  return `${blocks.join('\n')}\n`;
}

/** Writes the workload into `dir`: marshal.yaml, Makefile, tf/main.tf, and workload.json for floor.cjs. */
export function generate(name, w, dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'tf'), { recursive: true });
  writeFileSync(join(dir, 'workload.json'), JSON.stringify(w));
  if (w.kind === 'graph') {
    writeFileSync(join(dir, 'marshal.yaml'), marshalGraph(w));
    writeFileSync(join(dir, 'Makefile'), makeGraph(w));
    writeFileSync(join(dir, 'tf', 'main.tf'), terraformGraph(w));
  } else {
    writeFileSync(join(dir, 'marshal.yaml'), marshalHosts(w));
    writeFileSync(join(dir, 'Makefile'), makeHosts(w));
    writeFileSync(join(dir, 'tf', 'main.tf'), terraformHosts(w));
  }
  return { name, dir, workload: w };
}

/** The artifact a W3 run uploads: one file naming the version. */
export function prepareArtifact(dir, version) {
  mkdirSync(join(dir, 'artifact', version), { recursive: true });
  writeFileSync(join(dir, 'artifact', version, 'RELEASE'), `${version}\n`);
}
