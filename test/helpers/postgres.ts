/** Fresh Postgres databases for tests: each one created on the test server and dropped afterwards. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server tests use (trust auth); WEFT_TEST_PG overrides it. */
export const ADMIN_URL = process.env.WEFT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  url: string;
  /** Drops the database, closing whatever connections are still open. */
  drop(): Promise<void>;
}

/** Creates a database with a random name (`<prefix>_<hex>`). */
export async function createTestDatabase(prefix = 'weft_test'): Promise<TestDatabase> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (err) {
    await admin.end();
    throw err;
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}
