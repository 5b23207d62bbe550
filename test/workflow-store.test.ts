/** Workflow tables: the same behaviour on SQLite and Postgres (claims fenced by tokens, completions once, dedupe). */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import type { NewStep } from '../src/store/workflow-records.js';
import { createTestDatabase } from './helpers/postgres.js';

const T0 = 1_700_000_000_000;

type Open = () => Promise<{ store: Store; another: () => Promise<Store>; cleanup: () => Promise<void> }>;

const sqlite: Open = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-wfstore-'));
  const stores: Store[] = [await openStore(join(dir, 'w.db'))];
  return {
    store: stores[0]!,
    another: async () => {
      const s = await openStore(join(dir, 'w.db'));
      stores.push(s);
      return s;
    },
    cleanup: async () => {
      for (const s of stores) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

const postgres: Open = async () => {
  const db = await createTestDatabase('weft_wf');
  const stores: Store[] = [await openStore(db.url)];
  return {
    store: stores[0]!,
    another: async () => {
      const s = await openStore(db.url);
      stores.push(s);
      return s;
    },
    cleanup: async () => {
      for (const s of stores) await s.close();
      await db.drop();
    },
  };
};

const leaf = (key: string, extra: Partial<NewStep> = {}): NewStep => ({ key, stepId: key.split('/').pop()!, parentKey: null, kind: 'run', status: 'pending', state: {}, notBefore: null, ...extra });

for (const [name, open] of [['sqlite', sqlite], ['postgres', postgres]] as const) {
  describe(`workflow store (${name})`, () => {
    const handles: Awaited<ReturnType<Open>>[] = [];
    after(async () => {
      for (const h of handles) await h.cleanup();
    });
    const fresh = async () => {
      const h = await open();
      handles.push(h);
      const wf = h.store.workflows;
      await wf.saveWorkflow({ id: 'demo', name: 'Demo', description: null, source: 'name: Demo', file: null, definition: { name: 'Demo' } }, T0);
      await wf.createWorkflowRun({ id: 'wf-1', workflowId: 'demo', name: 'Demo', inputs: { a: 1 }, definition: { root: null }, trigger: { kind: 'manual' }, repo: null, createdAt: T0 });
      return h;
    };

    test('definitions are versioned by id and runs keep inputs and trigger', async () => {
      const { store } = await fresh();
      const wf = store.workflows;
      await wf.saveWorkflow({ id: 'demo', name: 'Demo v2', description: 'two', source: 'x', file: 'f.yaml', definition: { v: 2 } }, T0 + 5);
      const list = await wf.listWorkflows();
      assert.equal(list.length, 1);
      assert.equal(list[0]!.name, 'Demo v2');
      assert.equal(list[0]!.createdAt, T0);
      const run = await wf.getWorkflowRun('wf-1');
      assert.deepEqual(run?.inputs, { a: 1 });
      assert.deepEqual(run?.trigger, { kind: 'manual' });
      assert.equal(run?.status, 'pending');
    });

    test('inserting steps is idempotent: a second planner creates nothing twice', async () => {
      const { store, another } = await fresh();
      const other = await another();
      const [a, b] = await Promise.all([
        store.workflows.insertSteps('wf-1', [leaf('a'), leaf('b')], T0),
        other.workflows.insertSteps('wf-1', [leaf('b'), leaf('c')], T0),
      ]);
      assert.deepEqual([...a, ...b].sort(), ['a', 'b', 'c']);
      const steps = await store.workflows.listSteps('wf-1');
      assert.deepEqual(steps.map((s) => s.key).sort(), ['a', 'b', 'c']);
      assert.equal(new Set(steps.map((s) => s.seq)).size, 3);
    });

    test('one claim per step across processes; completion needs the current token and happens once', async () => {
      const { store, another } = await fresh();
      const other = await another();
      await store.workflows.insertSteps('wf-1', [leaf('a')], T0);
      const claims = await Promise.all([store.workflows.claimStep('wf-1', 'w1', 1000, T0), other.workflows.claimStep('wf-1', 'w2', 1000, T0)]);
      const won = claims.filter(Boolean);
      assert.equal(won.length, 1);
      const claim = won[0]!;
      // The lease expires; a reclaim gives the step to a new claim with a newer token.
      assert.deepEqual(await store.workflows.reclaimSteps('wf-1', T0 + 2000), ['a']);
      const again = await other.workflows.claimStep('wf-1', 'w2', 1000, T0 + 2000);
      assert.ok(again && again.token > claim.token);
      assert.equal(await store.workflows.finishStep('wf-1', 'a', { status: 'succeeded', output: { stale: true } }, T0 + 2100, claim.token), false);
      assert.equal(await other.workflows.finishStep('wf-1', 'a', { status: 'succeeded', output: { n: 1 } }, T0 + 2100, again.token), true);
      assert.equal(await other.workflows.finishStep('wf-1', 'a', { status: 'failed' }, T0 + 2200, again.token), false);
      const a = await store.workflows.getStep('wf-1', 'a');
      assert.equal(a?.status, 'succeeded');
      assert.deepEqual(a?.output, { n: 1 });
      assert.equal(a?.attempts, 2);
    });

    test('a held step cannot be finished without its token; waiting steps can (approvals)', async () => {
      const { store } = await fresh();
      const wf = store.workflows;
      await wf.insertSteps('wf-1', [leaf('a'), leaf('ok', { kind: 'wait', status: 'waiting', state: { approval: { message: null } } })], T0);
      const claim = await wf.claimStep('wf-1', 'w1', 1000, T0);
      assert.equal(claim?.step.key, 'a');
      assert.equal(await wf.finishStep('wf-1', 'a', { status: 'cancelled' }, T0), false);
      assert.equal(await wf.finishStep('wf-1', 'ok', { status: 'succeeded', output: { approved: true } }, T0), true);
      assert.equal(await wf.finishStep('wf-1', 'ok', { status: 'failed' }, T0), false);
      assert.equal((await wf.listWaitingSteps()).length, 0);
    });

    test('release returns a step for a retry after notBefore, counting the failure', async () => {
      const { store } = await fresh();
      const wf = store.workflows;
      await wf.insertSteps('wf-1', [leaf('a')], T0);
      const c = (await wf.claimStep('wf-1', 'w1', 1000, T0))!;
      assert.equal(await wf.setStepState('wf-1', 'a', c.token, { runId: 'r1' }, T0), true);
      assert.equal(await wf.releaseStep('wf-1', 'a', c.token, { notBefore: T0 + 500, failed: { error: 'boom', category: 'network' } }, T0), true);
      assert.equal(await wf.claimStep('wf-1', 'w1', 1000, T0 + 100), undefined);
      const c2 = (await wf.claimStep('wf-1', 'w1', 1000, T0 + 600))!;
      assert.equal(c2.step.failedAttempts, 1);
      assert.deepEqual(c2.step.state, { runId: 'r1' });
      assert.equal(c2.step.errorCategory, 'network');
      const hb = await wf.heartbeatStep('wf-1', 'a', c2.token, 1000, T0 + 700);
      assert.deepEqual(hb, { ok: true, cancelRequested: false });
      assert.equal(await wf.requestWorkflowCancel('wf-1'), true);
      assert.deepEqual(await wf.heartbeatStep('wf-1', 'a', c2.token, 1000, T0 + 800), { ok: true, cancelRequested: true });
      assert.equal((await wf.heartbeatStep('wf-1', 'a', c.token, 1000, T0 + 800)).ok, false);
    });

    test('a webhook delivery is recorded once and a schedule tick is claimed by one process', async () => {
      const { store, another } = await fresh();
      const other = await another();
      const firsts = await Promise.all([store.workflows.recordDelivery('d-1', 'push', T0), other.workflows.recordDelivery('d-1', 'push', T0)]);
      assert.deepEqual(firsts.sort(), [false, true]);
      await store.workflows.setDeliveryRuns('d-1', ['wf-1']);
      assert.deepEqual((await other.workflows.getDelivery('d-1'))?.runIds, ['wf-1']);
      const ticks = await Promise.all([store.workflows.claimTick('demo', T0, T0), other.workflows.claimTick('demo', T0, T0), store.workflows.claimTick('demo', T0 + 60_000, T0)]);
      assert.deepEqual(ticks.filter(Boolean).length, 2);
    });

    test('findSteps lists steps of one kind across runs, newest run first', async () => {
      const { store } = await fresh();
      const wf = store.workflows;
      await wf.createWorkflowRun({ id: 'wf-2', workflowId: null, name: 'T', inputs: {}, definition: {}, trigger: { kind: 'task' }, repo: null, createdAt: T0 + 10 });
      await wf.insertSteps('wf-1', [leaf('t1', { kind: 'task' }), leaf('r')], T0);
      await wf.insertSteps('wf-2', [leaf('t2', { kind: 'task' })], T0);
      assert.deepEqual((await wf.findSteps({ kind: 'task' })).map((s) => s.key), ['t2', 't1']);
      assert.deepEqual((await wf.findSteps({ kind: 'task', status: 'succeeded' })).length, 0);
    });
  });
}
