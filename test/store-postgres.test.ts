import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import pg from 'pg';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import { storeConformance } from './store-conformance.js';

const ADMIN_URL = process.env.WEFT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

let admin: pg.Client | undefined;
async function adminClient(): Promise<pg.Client> {
  if (!admin) {
    admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
  }
  return admin;
}

after(async () => {
  await admin?.end();
});

// Each test gets its own database, created here and dropped in cleanup.
storeConformance('postgres', async () => {
  const client = await adminClient();
  const name = `weft_test_${randomBytes(6).toString('hex')}`;
  await client.query(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const stores: Store[] = [];
  try {
    stores.push(await openStore(url.toString()));
  } catch (err) {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    throw err;
  }
  return {
    store: stores[0] as Store,
    async openAnother() {
      const s = await openStore(url.toString());
      stores.push(s);
      return s;
    },
    async cleanup() {
      for (const s of stores) await s.close();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
});
