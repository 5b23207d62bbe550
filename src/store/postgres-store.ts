/** Opens the Postgres store over a pg connection pool. */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import { KyselyStore } from './kysely-store.js';
import type { Database } from './schema.js';

const INT8_OID = 20;

/** Reads int8 (bigint epoch-ms columns, counts, identity ids) as JS numbers; every value the store keeps fits. */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** Opens a pool to `url` (postgres://...). Call migrate() before use. */
export function openPostgresStore(url: string, opts: { maxConnections?: number; connectTimeoutMs?: number } = {}): KyselyStore {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.maxConnections ?? 10,
    types,
    // A server that does not answer (a partition, a failover in progress) fails the call instead of hanging it;
    // resilientStore retries it on a fresh connection.
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    keepAlive: true,
  });
  // A connection can drop at any moment (pg_terminate_backend, a failover, a pgbouncer restart). The pool
  // listens on idle clients; a checked-out client emits 'error' with no listener of pg's, which would crash
  // the process. Every client gets one for its whole life: the query in flight rejects anyway, and the pool
  // discards the broken client when it is released.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  pool.on('error', () => undefined);
  const hotPath = new Set<string>();
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparingPool(pool, hotPath) }) });
  return new KyselyStore(db, 'postgres', { onPrepare: (text) => hotPath.add(text) });
}

/**
 * Runs the store's hot-path statements as named (server-side prepared) statements. Planning them
 * costs more than executing them; naming only this fixed set keeps the per-connection statement
 * count bounded while ad-hoc queries (variable-length inserts, IN lists) stay unnamed.
 */
function preparingPool(pool: pg.Pool, named: ReadonlySet<string>): PostgresPool {
  const clients = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    const query = (textOrCursor: unknown, values?: readonly unknown[]): unknown => {
      if (typeof textOrCursor !== 'string') return client.query(textOrCursor as pg.Submittable);
      const config: pg.QueryConfig = { text: textOrCursor, values: values ? [...values] : [] };
      if (named.has(textOrCursor)) config.name = `weft_${createHash('sha1').update(textOrCursor).digest('hex').slice(0, 20)}`;
      return client.query(config);
    };
    return { query: query as PostgresPoolClient['query'], release: () => client.release() };
  };
  return {
    async connect() {
      const client = await pool.connect();
      let wrapped = clients.get(client);
      if (!wrapped) {
        wrapped = wrap(client);
        clients.set(client, wrapped);
      }
      return wrapped;
    },
    end: () => pool.end(),
  };
}
