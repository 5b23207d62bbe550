/** `weft doctor`'s checks of the store and the queue: reachable, without creating or changing anything. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Check } from './preflight.js';

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/** A database URL with its password hidden. */
function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@');
}

/** The store named by `spec`: a Postgres URL answers `SELECT 1`; a SQLite file exists or can be created. */
export async function checkStore(spec: string, cwd: string): Promise<Check> {
  if (POSTGRES_URL.test(spec)) {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: spec, connectionTimeoutMillis: 5000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return { name: 'postgres', level: 'ok', message: `${redact(spec)} reachable` };
    } catch (err) {
      return { name: 'postgres', level: 'fail', message: `${redact(spec)} unreachable: ${(err as Error).message}` };
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  const file = resolve(cwd, spec.replace(/^sqlite:(\/\/)?/i, ''));
  if (existsSync(file)) return { name: 'store', level: 'ok', message: `SQLite ${file}` };
  return { name: 'store', level: 'ok', message: `SQLite ${file} (created by the first run)` };
}

/** Redis at `url` answers PING. */
export async function checkRedis(url: string): Promise<Check> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 5000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return { name: 'redis', level: 'ok', message: `${redact(url)} reachable` };
  } catch (err) {
    return { name: 'redis', level: 'fail', message: `${redact(url)} unreachable: ${(err as Error).message}` };
  } finally {
    client.disconnect();
  }
}
