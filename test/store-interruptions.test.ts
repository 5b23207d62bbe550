/** maxInterruptions on both stores: a task whose attempts keep being cut short fails instead of looping for ever. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import { createTestDatabase } from './helpers/postgres.js';
import { spec } from './store-conformance.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const stores: Record<string, () => Promise<Store>> = {
  sqlite: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-intr-'));
    const store = await openStore(join(dir, 'weft.db'));
    cleanups.push(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return store;
  },
  postgres: async () => {
    const db = await createTestDatabase();
    const store = await openStore(db.url);
    cleanups.push(async () => {
      await store.close();
      await db.drop();
    });
    return store;
  },
};

for (const [name, open] of Object.entries(stores)) {
  describe(`maxInterruptions (${name})`, () => {
    it('the third interrupted attempt fails the task and blocks its dependents; fewer hand it out again', async () => {
      const store = await open();
      const T0 = 1_700_000_000_000;
      await store.createRun({ id: 'r', title: 'Run', agent: 'simulate', concurrency: 1, maxAttempts: 5, createdAt: T0 }, [
        { spec: spec('A'), tailMinutes: 2, phase: 1 },
        { spec: spec('B', ['A']), tailMinutes: 1, phase: 2 },
      ]);
      let now = T0;
      for (let i = 1; i <= 3; i++) {
        const claim = await store.claimNext('r', `w${i}`, 10, now);
        assert.equal(claim?.task.id, 'A', `claim ${i}`);
        now += 100;
        // The worker died: its lease expires and the attempt is interrupted.
        assert.deepEqual(await store.reclaimExpired('r', now, undefined, { maxInterruptions: 3 }), ['A']);
        const a = (await store.getTask('r', 'A'))!;
        assert.equal(a.status, i < 3 ? 'ready' : 'failed', `after interruption ${i}`);
      }
      assert.match((await store.getTask('r', 'A'))!.error ?? '', /interrupted 3 times/);
      assert.equal((await store.getTask('r', 'B'))!.status, 'blocked');
      assert.equal(await store.claimNext('r', 'w4', 10, now), undefined);
    });
  });
}
