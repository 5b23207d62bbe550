/** Chooses and opens the store named by a `--db` flag, `WEFT_DB`, or the default file. */
import { join } from 'node:path';
import { openPostgresStore } from './postgres-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/** The database to use: the flag, else `WEFT_DB`, else `.weft/weft.db` under the current directory. */
export function resolveDbSpec(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return flag;
  if (env.WEFT_DB) return env.WEFT_DB;
  return join(process.cwd(), '.weft', 'weft.db');
}

/** Opens a Postgres store for a postgres:// or postgresql:// URL, else a SQLite file; migrates it. */
export async function openStore(spec: string): Promise<Store> {
  const store = POSTGRES_URL.test(spec) ? openPostgresStore(spec) : openSqliteStore(spec.replace(/^sqlite:(\/\/)?/i, ''));
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}
