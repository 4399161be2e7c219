/** The `ssh` provider: deploy targets that are remote hosts reached over SSH. */

export * as commands from './commands.js';
export { checkHostKey, fingerprint, hostMatches, knownHostName, parseKnownHosts } from './known-hosts.js';
export { type RemoteLayout, remoteLayout } from './layout.js';
export type { SshPoolOptions } from './pool.js';
export { SshProvider, type SshProviderOptions } from './provider.js';
