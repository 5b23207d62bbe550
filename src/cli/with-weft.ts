/** Opens weft for a command (config + store from `--db`) and always closes it. */
import type { Weft } from '../weft.js';

/** Runs `fn` with an open weft instance; `readOnly` commands never create a database file or folder. */
export async function withWeft<T>(opts: { db?: string }, fn: (weft: Weft) => Promise<T>, mode: { readOnly?: boolean } = {}): Promise<T> {
  // Loaded on demand: the store, engine and agents are most of weft's start-up time.
  const { openWeft } = await import('../weft.js');
  const weft = await openWeft({ ...(opts.db !== undefined ? { db: opts.db } : {}), readOnly: mode.readOnly ?? false });
  try {
    return await fn(weft);
  } finally {
    await weft.close();
  }
}

/** The `--db` option's help text, shared by every command that takes it. */
export const DB_HELP = 'database: a SQLite file or postgres:// URL (env WEFT_DB; default .weft/weft.db)';

/** `withWeft` for commands that only read (status, report, runs, stats, prs): a missing database is an error, nothing is created. */
export function withReadOnlyWeft<T>(opts: { db?: string }, fn: (weft: Weft) => Promise<T>): Promise<T> {
  return withWeft(opts, fn, { readOnly: true });
}
