import { describe, expect, it } from 'vitest';
import type { Provider } from '../model/provider.js';
import { createProviders, LocalProvider } from './index.js';

describe('createProviders', () => {
  it('creates a provider on first use and reuses it', () => {
    const providers = createProviders();
    const local = providers.get('local');
    expect(local).toBeInstanceOf(LocalProvider);
    expect(local.name).toBe('local');
    expect(providers.get('local')).toBe(local);
  });

  it('gives each registry its own providers (no singletons)', () => {
    expect(createProviders().get('local')).not.toBe(createProviders().get('local'));
  });

  it('rejects an unknown provider with CONFIG_INVALID', () => {
    const providers = createProviders();
    for (const name of ['x', 'toString', '__proto__']) {
      expect(() => providers.get(name)).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID', message: `unknown provider "${name}"` }),
      );
    }
  });

  it('closes every provider created', async () => {
    const providers = createProviders();
    const local = providers.get('local') as Provider;
    let closed = 0;
    local.close = async () => {
      closed += 1;
    };
    await providers.closeAll();
    expect(closed).toBe(1);
    // After closeAll, a fresh provider is created on demand.
    expect(providers.get('local')).not.toBe(local);
  });
});
