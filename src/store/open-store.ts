/** Chooses and opens the store named by a `--db` flag, `WEFT_DB`, or the default file. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../core/errors.js';
import { openPostgresStore } from './postgres-store.js';
import { resilientStore, type ResilienceOptions } from './resilient-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/** Whether a database spec names a Postgres server (postgres:// or postgresql://). */
export function isPostgresSpec(spec: string): boolean {
  return POSTGRES_URL.test(spec);
}

/**
 * The database to use: the flag, else `WEFT_DB`, else the config's `db`, else `.weft/weft.db` under the
 * current directory. A flag or `WEFT_DB` that is set but blank is bad input, never an in-memory database.
 */
export function resolveDbSpec(flag?: string, env: NodeJS.ProcessEnv = process.env, configDb?: string): string {
  if (flag !== undefined) {
    if (flag.trim() === '') throw new InputError('--db is empty: pass a SQLite file or a postgres:// URL', { flag: '--db' });
    return flag;
  }
  if (env.WEFT_DB !== undefined) {
    if (env.WEFT_DB.trim() === '') throw new InputError('WEFT_DB is set but empty: set it to a SQLite file or a postgres:// URL, or unset it', { env: 'WEFT_DB' });
    return env.WEFT_DB;
  }
  if (configDb) return configDb;
  return join(process.cwd(), '.weft', 'weft.db');
}

export interface OpenStoreOptions {
  /** For commands that only read: a SQLite file that does not exist is an error, never created (nor its folder). */
  readOnly?: boolean;
  /** Postgres: how long calls wait out an outage, and who hears about it. */
  resilience?: ResilienceOptions;
}

/** Opens a Postgres store for a postgres:// or postgresql:// URL, else a SQLite file; migrates it. */
export async function openStore(spec: string, opts: OpenStoreOptions = {}): Promise<Store> {
  if (spec.trim() === '') throw new InputError('the database is empty: pass a SQLite file or a postgres:// URL');
  const path = spec.replace(/^sqlite:(\/\/)?/i, '');
  if (!isPostgresSpec(spec) && opts.readOnly && path !== ':memory:' && !existsSync(path)) {
    throw new InputError(`no weft database at ${resolve(path)} (nothing has run here yet, or a mistyped --db / WEFT_DB)`, { db: spec });
  }
  // Postgres is a server that can go away for a while: its calls wait out transient errors (resilient-store.ts).
  const store = isPostgresSpec(spec) ? resilientStore(openPostgresStore(spec), opts.resilience) : openSqliteStore(path);
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}
