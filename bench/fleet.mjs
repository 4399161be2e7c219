// The fleet workload: the same rollout — upload a release, switch `current`, check it — to 50 real
// sshd hosts in batches of 10, run by Marshal (ssh provider) and by ansible-playbook (serial: 10)
// on the same hosts, interleaved. Needs root, /usr/sbin/sshd and Debian's ansible.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function marshalProject(dir, fleet) {
  const hosts = fleet.hosts.map(
    (h) => `          - { name: ${h.name}, address: 127.0.0.1, port: ${h.port}, user: ${h.user}, root: ${h.root}/marshal }`,
  );
  writeFileSync(
    join(dir, 'marshal.yaml'),
    `defaults:
  provider: ssh
  concurrency: 10
  ssh: { identityFile: ${fleet.identityFile}, knownHosts: ${fleet.knownHostsFile} }
services:
  app:
    group: fleet
    artifact: artifact/{{ version }}
    strategy: { type: rolling, batchSize: 10 }
    health:
      command: grep -qx {{ version }} {{ host.root }}/app/current/RELEASE
      interval: 10ms
environments:
  bench:
    groups:
      fleet:
        hosts:
${hosts.join('\n')}
`,
  );
}

function ansibleProject(dir, fleet) {
  const inventory = fleet.hosts
    .map(
      (h) =>
        `${h.name} ansible_host=127.0.0.1 ansible_port=${h.port} ansible_user=${h.user} deploy_root=${h.root}/ansible`,
    )
    .join('\n');
  writeFileSync(join(dir, 'inventory.ini'), `[fleet]\n${inventory}\n`);
  writeFileSync(
    join(dir, 'ansible.cfg'),
    `[defaults]
inventory = inventory.ini
private_key_file = ${fleet.identityFile}
forks = 10
gathering = explicit
host_key_checking = True
stdout_callback = null
[ssh_connection]
pipelining = True
ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${fleet.knownHostsFile}
`,
  );
  writeFileSync(
    join(dir, 'playbook.yml'),
    `- hosts: fleet
  serial: 10
  gather_facts: false
  tasks:
    - name: upload the release
      ansible.builtin.copy:
        src: artifact/{{ version }}/
        dest: "{{ deploy_root }}/app/releases/{{ version }}/"
    - name: switch current
      ansible.builtin.file:
        src: "releases/{{ version }}"
        dest: "{{ deploy_root }}/app/current"
        state: link
        force: true
    - name: check it
      ansible.builtin.command: grep -qx {{ version }} {{ deploy_root }}/app/current/RELEASE
      changed_when: false
`,
  );
}

function prepare(dir, version) {
  mkdirSync(join(dir, 'artifact', version), { recursive: true });
  writeFileSync(join(dir, 'artifact', version, 'RELEASE'), `${version}\n`);
}

/**
 * Runs the fleet workload `runs` times per tool (after a warm-up round) and returns samples.
 * `measure(cwd, argv, env)` times one command; `startSshdHosts` comes from the compiled harness.
 */
export async function fleetBenchmark(root, outDir, { runs, hosts = 50, measure }) {
  const { startSshdHosts } = await import(join(root, 'dist', 'testing', 'sshd-hosts.js'));
  const dir = join(outDir, 'fleet');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const fleet = await startSshdHosts(hosts);
  try {
    marshalProject(dir, fleet);
    ansibleProject(dir, fleet);
    const samples = { marshal: [], ansible: [] };
    for (let k = 0; k <= runs; k++) {
      const version = `f${k}`;
      prepare(dir, version);
      const m = measure(dir, [process.execPath, join(root, 'bin', 'marshal.js'), 'deploy', 'bench', '--version', version, '-q']);
      const a = measure(dir, ['ansible-playbook', 'playbook.yml', '-e', `version=${version}`], {
        ANSIBLE_CONFIG: join(dir, 'ansible.cfg'),
      });
      if (k > 0) {
        samples.marshal.push(m);
        samples.ansible.push(a);
      }
      process.stderr.write('.');
    }
    process.stderr.write(' fleet\n');
    // Both tools did the work: every host's current release reads the last version.
    const last = `f${runs}`;
    for (const h of fleet.hosts) {
      for (const tool of ['marshal', 'ansible']) {
        const text = execFileSync('cat', [`${h.root}/${tool}/app/current/RELEASE`], { encoding: 'utf8' }).trim();
        if (text !== last) throw new Error(`${tool} left ${h.name} on ${text}, not ${last}`);
      }
    }
    return samples;
  } finally {
    await fleet.stop();
  }
}
