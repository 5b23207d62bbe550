/** Opens the SQLite store: one better-sqlite3 connection in WAL mode, shared by all callers in this process. */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { SqliteDatabase, SqliteStatement } from 'kysely';
import { AsyncLock, KyselyStore } from './kysely-store.js';
import type { Database as Schema } from './schema.js';

/** One write lock per database file, shared by every store this process opens on it. */
const writeLocks = new Map<string, AsyncLock>();

/** Prepared statements kept per connection; the store issues a few dozen distinct SQL texts. */
const STATEMENT_CACHE_SIZE = 256;

/** Opens (creating if needed) a SQLite database at `path`; `:memory:` gives a private in-memory one. Call migrate() before use. */
export function openSqliteStore(path: string): KyselyStore {
  const memory = path === ':memory:' || path === '';
  if (!memory) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(memory ? ':memory:' : path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 10000');
  db.pragma('foreign_keys = ON');
  db.pragma('temp_store = MEMORY');
  const kysely = new Kysely<Schema>({ dialect: new SqliteDialect({ database: cachingDatabase(db) }) });
  let writeLock = memory ? new AsyncLock() : writeLocks.get(resolve(path));
  if (!writeLock) {
    writeLock = new AsyncLock();
    writeLocks.set(resolve(path), writeLock);
  }
  return new KyselyStore(kysely, 'sqlite', { writeLock });
}

/**
 * Kysely prepares every query afresh; reusing prepared statements roughly halves the cost of the
 * small statements claim and complete are made of. Safe because the driver runs each to completion.
 */
function cachingDatabase(db: Database.Database): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => db.close(),
    prepare(text: string): SqliteStatement {
      let stmt = cache.get(text);
      if (stmt) {
        // Refresh recency so the map's insertion order approximates LRU.
        cache.delete(text);
      } else {
        stmt = db.prepare(text) as unknown as SqliteStatement;
        if (cache.size >= STATEMENT_CACHE_SIZE) {
          const oldest = cache.keys().next();
          if (!oldest.done) cache.delete(oldest.value);
        }
      }
      cache.set(text, stmt);
      return stmt;
    },
  };
}
