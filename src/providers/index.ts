/**
 * The provider registry of a run: providers are created on first use and
 * closed together when the run ends. One registry per run, never a singleton.
 */
import { MarshalError } from '../model/errors.js';
import type { Provider, ProviderRegistry } from '../model/provider.js';
import { LocalProvider } from './local/index.js';
import { SimulateProvider } from './simulate/provider.js';
import { SshProvider } from './ssh/index.js';

const FACTORIES: Record<string, () => Provider> = {
  local: () => new LocalProvider(),
  ssh: () => new SshProvider(),
  simulate: () => new SimulateProvider(),
};

/** Names of the providers Marshal knows. */
export const PROVIDER_NAMES: readonly string[] = Object.keys(FACTORIES);

export interface Providers {
  /** The provider called `name`, created on first use. Throws CONFIG_INVALID for an unknown name. */
  get: ProviderRegistry;
  /** Closes every provider created so far; waits for all, then throws the first failure. */
  closeAll(): Promise<void>;
}

export function createProviders(): Providers {
  const created = new Map<string, Provider>();
  return {
    get(name) {
      let provider = created.get(name);
      if (provider === undefined) {
        const factory = Object.hasOwn(FACTORIES, name) ? FACTORIES[name] : undefined;
        if (factory === undefined) {
          throw new MarshalError('CONFIG_INVALID', `unknown provider "${name}"`, {
            hint: `known providers: ${PROVIDER_NAMES.join(', ')}`,
          });
        }
        provider = factory();
        created.set(name, provider);
      }
      return provider;
    },
    async closeAll() {
      const providers = [...created.values()];
      created.clear();
      const results = await Promise.allSettled(providers.map((p) => p.close()));
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure !== undefined) throw failure.reason;
    },
  };
}

export { runHealthChecks } from './health/index.js';
export { LocalProvider, readLocalTarget } from './local/index.js';
export { SshProvider } from './ssh/index.js';
