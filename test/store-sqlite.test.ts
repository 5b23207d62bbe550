import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, resolveDbSpec } from '../src/store/open-store.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { storeConformance } from './store-conformance.js';

storeConformance('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'weft-store-'));
  // A nested path checks that the parent directory is created.
  const path = join(dir, 'nested', 'weft.db');
  const stores: Store[] = [await openStore(path)];
  return {
    store: stores[0] as Store,
    async openAnother() {
      const s = await openStore(path);
      stores.push(s);
      return s;
    },
    async cleanup() {
      for (const s of stores) await s.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

test('sqlite: :memory: works and uses the sqlite dialect', async () => {
  const store = openSqliteStore(':memory:');
  await store.migrate();
  assert.equal(store.dialect, 'sqlite');
  assert.deepEqual(await store.listRuns(), []);
  await store.close();
});

test('resolveDbSpec: flag, then WEFT_DB, then .weft/weft.db', () => {
  assert.equal(resolveDbSpec('x.db', { WEFT_DB: 'y.db' }), 'x.db');
  assert.equal(resolveDbSpec(undefined, { WEFT_DB: 'postgres://h/db' }), 'postgres://h/db');
  assert.equal(resolveDbSpec(undefined, {}), join(process.cwd(), '.weft', 'weft.db'));
});
