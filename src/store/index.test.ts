import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, SqliteStore, storePath } from './index.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'marshal-store-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('storePath', () => {
  it('defaults to .marshal/state.db in the project and resolves sqlite:PATH against it', () => {
    expect(storePath(undefined, '/srv/shop')).toBe('/srv/shop/.marshal/state.db');
    expect(storePath('', '/srv/shop')).toBe('/srv/shop/.marshal/state.db');
    expect(storePath('sqlite:data/m.db', '/srv/shop')).toBe('/srv/shop/data/m.db');
    expect(storePath('sqlite:/var/lib/m.db', '/srv/shop')).toBe('/var/lib/m.db');
    expect(storePath('sqlite:///var/lib/m.db', '/srv/shop')).toBe('/var/lib/m.db');
  });

  it('is null for PostgreSQL and rejects anything else', () => {
    expect(storePath('postgres://db/marshal', '/srv')).toBeNull();
    expect(storePath('postgresql://db/marshal', '/srv')).toBeNull();
    expect(() => storePath('mysql://db', '/srv')).toThrow(
      expect.objectContaining({ code: 'ARGUMENT_INVALID', message: expect.stringContaining('sqlite:PATH') }),
    );
    expect(() => storePath('sqlite:', '/srv')).toThrow(expect.objectContaining({ code: 'ARGUMENT_INVALID' }));
  });
});

describe('openStore', () => {
  it('opens (creating) the default SQLite store', async () => {
    const dir = tempDir();
    const store = await openStore(undefined, dir);
    expect(store).toBeInstanceOf(SqliteStore);
    expect(existsSync(join(dir, '.marshal', 'state.db'))).toBe(true);
    await store.close();
  });

  it('says PostgreSQL is not available yet', async () => {
    await expect(openStore('postgres://localhost/marshal', '/srv')).rejects.toMatchObject({
      code: 'ARGUMENT_INVALID',
      message: 'PostgreSQL store is not available yet',
    });
  });

  it('with create: false or readonly, creates nothing and reports that there is no history', async () => {
    const dir = tempDir();
    for (const options of [{ create: false }, { readonly: true }]) {
      await expect(openStore('sqlite:sub/state.db', dir, options)).rejects.toMatchObject({
        code: 'NOT_FOUND',
        message: `no history yet: ${join(dir, 'sub', 'state.db')} does not exist`,
      });
    }
    expect(existsSync(join(dir, 'sub'))).toBe(false);
    await (await openStore('sqlite:sub/state.db', dir)).close();
    const reader = await openStore('sqlite:sub/state.db', dir, { readonly: true });
    expect(await reader.listRuns()).toEqual([]);
    await reader.close();
  });
});
