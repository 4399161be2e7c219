/**
 * Opening the run store named by `--store` / `MARSHAL_STORE`.
 *
 * Accepted forms: `sqlite:PATH` (PATH relative to the project directory;
 * `sqlite:///abs/path` also works) and nothing, which means
 * `<projectDir>/.marshal/state.db`. `postgres://…` is recognised but not
 * available yet.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MarshalError } from '../model/errors.js';
import type { RunStore } from '../model/store.js';
import type { PidAlive } from './projection.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

export { canonicalJson, eventHash, GENESIS_HASH } from './chain.js';
export type { PidAlive } from './projection.js';
export { SqliteStore } from './sqlite/sqlite-store.js';

export interface OpenStoreOptions {
  /** Open without writing (implies `create: false`). */
  readonly?: boolean;
  /** Create the store when it does not exist (default: true unless read-only). */
  create?: boolean;
  /** Whether a lock holder's pid is alive on this host; without it, only leases free locks. */
  pidAlive?: PidAlive;
}

const FORMS = '`sqlite:PATH` or `postgres://…`';

function isPostgres(spec: string): boolean {
  return spec.startsWith('postgres://') || spec.startsWith('postgresql://');
}

/**
 * The file a store spec names, or null when the store is not a file
 * (PostgreSQL). Lets the CLI tell whether history exists without creating it.
 */
export function storePath(spec: string | undefined, projectDir: string): string | null {
  if (spec === undefined || spec === '') return join(resolve(projectDir), '.marshal', 'state.db');
  if (isPostgres(spec)) return null;
  if (spec.startsWith('sqlite:')) {
    // `sqlite:///abs` and `sqlite://rel` are URL-ish spellings of `sqlite:/abs` and `sqlite:rel`.
    let path = spec.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2);
    if (path !== '') return resolve(projectDir, path);
    throw new MarshalError('ARGUMENT_INVALID', `store "${spec}" names no file`, {
      hint: 'write sqlite:PATH, e.g. sqlite:.marshal/state.db',
    });
  }
  throw new MarshalError('ARGUMENT_INVALID', `store "${spec}" is not understood: expected ${FORMS}`, {
    hint: 'set --store or MARSHAL_STORE to sqlite:PATH (the default is .marshal/state.db beside the config)',
  });
}

/** Opens the store `spec` names (see the module comment); `projectDir` anchors relative paths. */
export async function openStore(
  spec: string | undefined,
  projectDir: string,
  options: OpenStoreOptions = {},
): Promise<RunStore> {
  const path = storePath(spec, projectDir);
  if (path === null) {
    throw new MarshalError('ARGUMENT_INVALID', 'PostgreSQL store is not available yet', {
      hint: 'use the embedded store: --store sqlite:PATH (or leave --store unset)',
    });
  }
  const readonly = options.readonly === true;
  const create = options.create ?? !readonly;
  if (!create && !existsSync(path)) {
    throw new MarshalError('NOT_FOUND', `no history yet: ${path} does not exist`, {
      hint: 'nothing has been deployed with this store; `marshal deploy <env>` creates it',
    });
  }
  return SqliteStore.open(path, {
    readonly,
    ...(options.pidAlive === undefined ? {} : { pidAlive: options.pidAlive }),
  });
}
