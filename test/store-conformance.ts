/** The conformance suite every Store implementation must pass; each test gets a fresh, migrated database. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConflictError, InputError, NotFoundError } from '../src/core/errors.js';
import type { Plan, Priority, TaskSpec } from '../src/core/task.js';
import type { NewTask, TaskRecord } from '../src/store/records.js';
import type { Store } from '../src/store/store.js';
import { pullRequestConformance } from './store-conformance-prs.js';

export interface StoreHandle {
  store: Store;
  /** Another store on the same database with its own connection(s), as a second process would have. */
  openAnother(): Promise<Store>;
  /** Closes every store opened and removes the database. */
  cleanup(): Promise<void>;
}

export type StoreFactory = () => Promise<StoreHandle>;

const T0 = 1_700_000_000_000;
const LEASE = 30_000;

/** A minimal valid TaskSpec. */
export function spec(id: string, dependsOn: string[] = [], extra: Partial<TaskSpec> = {}): TaskSpec {
  return {
    id,
    title: `Task ${id}`,
    description: `Do ${id}.`,
    type: 'feature',
    typeReason: 'default',
    priority: 'medium',
    status: 'pending',
    dependsOn,
    estimateMinutes: 10,
    files: [`src/${id}.ts`],
    acceptanceCriteria: [`${id} works`],
    requirementId: 'R1',
    requirementTitle: 'Requirement one',
    source: { file: 'REQUIREMENTS.md', line: 3 },
    ...extra,
  };
}

function nt(s: TaskSpec, tailMinutes = 10, phase: number | null = 1): NewTask {
  return { spec: s, tailMinutes, phase };
}

async function makeRun(store: Store, id: string, tasks: NewTask[], createdAt = T0) {
  return store.createRun({ id, title: `Run ${id}`, agent: 'simulate', concurrency: 4, maxAttempts: 3, createdAt }, tasks);
}

async function statuses(store: Store, runId: string): Promise<Record<string, string>> {
  return Object.fromEntries((await store.listTasks(runId)).map((t) => [t.id, t.status]));
}

async function task(store: Store, runId: string, id: string): Promise<TaskRecord> {
  const t = await store.getTask(runId, id);
  assert.ok(t, `task ${id} exists`);
  return t;
}

/** Registers the suite under `name`; `factory` gives each test its own empty, migrated store. */
export function storeConformance(name: string, factory: StoreFactory): void {
  const it = (title: string, fn: (h: StoreHandle) => Promise<void>) =>
    test(title, async () => {
      const h = await factory();
      try {
        await fn(h);
      } finally {
        await h.cleanup();
      }
    });

  describe(`Store conformance: ${name}`, () => {
    it('migrate is idempotent', async ({ store }) => {
      await store.migrate();
      await store.migrate();
      assert.equal(await store.latestRun(), undefined);
    });

    it('saves, upserts and lists plans', async ({ store }) => {
      const plan: Plan = {
        title: 'P',
        context: 'ctx',
        tasks: [],
        phases: [],
        criticalPath: [],
        criticalPathMinutes: 0,
        totalMinutes: 0,
        source: 'REQUIREMENTS.md',
      };
      const saved = await store.savePlan(plan, { id: 'p1', source: 'REQUIREMENTS.md', createdAt: T0 });
      assert.equal(saved.title, 'P');
      await store.savePlan({ ...plan, title: 'P2' }, { id: 'p2', source: 'R.md', createdAt: T0 + 1 });
      await store.savePlan({ ...plan, title: 'P1b' }, { id: 'p1', source: 'REQUIREMENTS.md', createdAt: T0 });
      const got = await store.getPlan('p1');
      assert.equal(got?.title, 'P1b');
      assert.deepEqual((got?.plan as { context: string }).context, 'ctx');
      assert.equal(await store.getPlan('nope'), undefined);
      assert.deepEqual((await store.listPlans()).map((p) => p.id), ['p2', 'p1']);
      assert.deepEqual((await store.listPlans(1)).map((p) => p.id), ['p2']);
    });

    it('createRun sets initial statuses and keeps the full spec', async ({ store }) => {
      const a = spec('A', [], { status: 'done' });
      const b = spec('B', ['A'], { agent: 'codex', priority: 'high' });
      const c = spec('C', ['B']);
      const d = spec('D');
      const run = await store.createRun(
        {
          id: 'r1',
          planId: 'p1',
          title: 'Run',
          agent: 'simulate',
          concurrency: 2,
          maxAttempts: 3,
          repo: '/repo',
          baseBranch: 'main',
          options: { verify: 'npm test', nested: { a: [1, 2] } },
          createdAt: T0,
        },
        [nt(a, 30, null), nt(b, 20, 1), nt(c, 10.5, 2), nt(d)],
      );
      assert.equal(run.status, 'pending');
      assert.deepEqual(run.options, { verify: 'npm test', nested: { a: [1, 2] } });
      assert.deepEqual(await store.getRun('r1'), run);
      assert.deepEqual(await statuses(store, 'r1'), { A: 'done', B: 'ready', C: 'pending', D: 'ready' });
      const tb = await task(store, 'r1', 'B');
      assert.deepEqual(tb.spec, b);
      assert.deepEqual(tb.dependsOn, ['A']);
      assert.equal(tb.agent, 'codex');
      assert.equal(tb.priority, 'high');
      assert.equal(tb.attemptCount, 0);
      assert.equal(tb.failedAttempts, 0);
      assert.equal(tb.lease, null);
      assert.equal(tb.cancelRequested, false);
      assert.equal((await task(store, 'r1', 'C')).tailMinutes, 10.5);
      assert.equal((await task(store, 'r1', 'A')).phase, null);
      // Plan order is kept.
      assert.deepEqual((await store.listTasks('r1')).map((t) => t.id), ['A', 'B', 'C', 'D']);
    });

    it('createRun rejects unknown dependencies and duplicate ids, changing nothing', async ({ store }) => {
      await assert.rejects(makeRun(store, 'bad', [nt(spec('A', ['Z']))]), InputError);
      await assert.rejects(makeRun(store, 'bad', [nt(spec('A')), nt(spec('A'))]), InputError);
      assert.equal(await store.getRun('bad'), undefined);
      assert.deepEqual(await store.listTasks('bad'), []);
      await makeRun(store, 'ok', [nt(spec('A'))]);
      await assert.rejects(makeRun(store, 'ok', [nt(spec('B'))]), ConflictError);
      assert.deepEqual(Object.keys(await statuses(store, 'ok')), ['A']);
    });

    it('lists, orders and updates runs', async ({ store }) => {
      await makeRun(store, 'r1', [nt(spec('A'))], T0);
      await makeRun(store, 'r2', [nt(spec('A'))], T0 + 5);
      await makeRun(store, 'r3', [nt(spec('A'))], T0 + 2);
      assert.equal((await store.latestRun())?.id, 'r2');
      assert.deepEqual((await store.listRuns()).map((r) => r.id), ['r2', 'r3', 'r1']);
      assert.deepEqual((await store.listRuns(2)).map((r) => r.id), ['r2', 'r3']);
      await store.updateRun('r1', { status: 'running', startedAt: T0 + 10, branch: 'weft/r1', baseBranch: 'dev' });
      await store.updateRun('r1', { error: 'boom', status: 'failed', finishedAt: T0 + 20 });
      const r1 = await store.getRun('r1');
      assert.equal(r1?.status, 'failed');
      assert.equal(r1?.startedAt, T0 + 10);
      assert.equal(r1?.finishedAt, T0 + 20);
      assert.equal(r1?.branch, 'weft/r1');
      assert.equal(r1?.baseBranch, 'dev');
      assert.equal(r1?.error, 'boom');
      await store.updateRun('r1', { error: null });
      assert.equal((await store.getRun('r1'))?.error, null);
      await assert.rejects(store.updateRun('nope', { status: 'running' }), NotFoundError);
    });

    it('claims in order: tail desc, priority, id; respects notBefore; nothing left gives undefined', async ({ store }) => {
      await makeRun(store, 'r', [
        nt(spec('b-low', [], { priority: 'low' }), 50),
        nt(spec('a-low', [], { priority: 'low' }), 50),
        nt(spec('c-crit', [], { priority: 'critical' }), 50),
        nt(spec('z-long', [], { priority: 'low' }), 90),
        nt(spec('m-high', [], { priority: 'high' }), 50),
        nt(spec('later', ['z-long']), 100),
      ]);
      const order: string[] = [];
      for (;;) {
        const c = await store.claimNext('r', 'w1', LEASE, T0);
        if (!c) break;
        order.push(c.task.id);
      }
      assert.deepEqual(order, ['z-long', 'c-crit', 'm-high', 'a-low', 'b-low']);
      assert.equal(await store.claimNext('other-run', 'w1', LEASE, T0), undefined);
    });

    it('claims a batch in scheduling order, each with its own token and attempt, never more than asked or claimable', async ({ store }) => {
      await makeRun(store, 'r', [
        nt(spec('b-low', [], { priority: 'low' }), 50),
        nt(spec('a-low', [], { priority: 'low' }), 50),
        nt(spec('c-crit', [], { priority: 'critical' }), 50),
        nt(spec('z-long', [], { priority: 'low' }), 90),
        nt(spec('m-high', [], { priority: 'high' }), 50),
        nt(spec('later', ['z-long']), 100),
      ]);
      assert.deepEqual(await store.claimBatch('r', 'w1', 0, LEASE, T0), []);
      const first = await store.claimBatch('r', 'w1', 3, LEASE, T0);
      assert.deepEqual(first.map((c) => c.task.id), ['z-long', 'c-crit', 'm-high']);
      for (const c of first) {
        assert.equal(c.task.status, 'running');
        assert.deepEqual(c.task.lease, { owner: 'w1', token: c.token, expiresAt: T0 + LEASE });
        assert.deepEqual(await store.listAttempts('r', c.task.id), [c.attempt]);
        assert.equal(c.attempt.token, c.token);
      }
      const rest = await store.claimBatch('r', 'w2', 10, LEASE, T0);
      assert.deepEqual(rest.map((c) => c.task.id), ['a-low', 'b-low'], 'only what is claimable; `later` waits for z-long');
      assert.deepEqual(await store.claimBatch('r', 'w2', 10, LEASE, T0), []);
      // A claimed task's result is accepted only with its own token.
      const z = first[0]!;
      const done = await store.completeAttempt('r', 'z-long', z.token, { kind: 'succeeded' }, T0 + 1);
      assert.deepEqual(done.unblocked, ['later']);
    });

    it('agent output and messages with NUL bytes are stored (NUL replaced), on every dialect', async ({ store }) => {
      await makeRun(store, 'r', [nt(spec('A')), nt(spec('B'))]);
      const [a, b] = await store.claimBatch('r', 'w', 2, LEASE, T0);
      assert.ok(a && b);
      await Promise.all([
        store.completeAttempt('r', a.task.id, a.token, { kind: 'failed', category: 'agent', message: 'bad\0exit', retryAt: null, output: 'out\0put' }, T0 + 1),
        store.completeAttempt('r', b.task.id, b.token, { kind: 'succeeded', output: 'fine' }, T0 + 1),
      ]);
      const [att] = await store.listAttempts('r', a.task.id);
      assert.equal(att?.output, 'out\uFFFDput');
      assert.equal(att?.error, 'bad\uFFFDexit');
      assert.equal((await task(store, 'r', b.task.id)).status, 'succeeded', 'a completion committed with it is not lost');
    });

    it('slim reads: task states in plan order and attempt times without output', async ({ store }) => {
      await makeRun(store, 'r', [nt(spec('B', [], { estimateMinutes: 45 })), nt(spec('A', ['B']))]);
      const c = await store.claimNext('r', 'w', LEASE, T0);
      assert.ok(c);
      await store.completeAttempt('r', 'B', c.token, { kind: 'succeeded', output: 'x'.repeat(1000) }, T0 + 7);
      const states = await store.listTaskStates('r');
      assert.deepEqual(states, [
        { id: 'B', status: 'succeeded', dependsOn: [], estimateMinutes: 45, priority: 'medium', startedAt: T0, finishedAt: T0 + 7 },
        { id: 'A', status: 'ready', dependsOn: ['B'], estimateMinutes: (await task(store, 'r', 'A')).estimateMinutes, priority: 'medium', startedAt: null, finishedAt: null },
      ]);
      assert.deepEqual(await store.listAttemptTimes('r'), [{ taskId: 'B', number: 1, status: 'succeeded', startedAt: T0, finishedAt: T0 + 7 }]);
    });

    it('claim issues a lease, a fencing token and an attempt', async ({ store }) => {
      await makeRun(store, 'r', [nt(spec('A'))]);
      const c = await store.claimNext('r', 'worker-1', LEASE, T0 + 100);
      assert.ok(c);
      assert.equal(c.token, 1);
      assert.equal(c.task.status, 'running');
      assert.deepEqual(c.task.lease, { owner: 'worker-1', token: 1, expiresAt: T0 + 100 + LEASE });
      assert.equal(c.task.startedAt, T0 + 100);
      assert.equal(c.task.attemptCount, 1);
      assert.deepEqual(c.attempt, {
        runId: 'r',
        taskId: 'A',
        number: 1,
        status: 'running',
        workerId: 'worker-1',
        token: 1,
        startedAt: T0 + 100,
        finishedAt: null,
        errorCategory: null,
        error: null,
        output: null,
        result: null,
        usage: null,
        process: null,
        verifyOutput: null,
      });
      assert.deepEqual(await task(store, 'r', 'A'), c.task);
      assert.deepEqual(await store.listAttempts('r', 'A'), [c.attempt]);
    });

    it('records the agent process of an attempt', async ({ store }) => {
      await makeRun(store, 'r', [nt(spec('A'))]);
      const c = await store.claimNext('r', 'w', LEASE, T0);
      assert.ok(c);
      await store.recordAttemptProcess('r', 'A', c.attempt.number, { pid: 4242, host: 'box' });
      await store.recordAttemptProcess('r', 'A', 99, { pid: 1, host: 'nowhere' });
      assert.deepEqual((await store.listAttempts('r', 'A')).map((a) => a.process), [{ pid: 4242, host: 'box' }]);
    });

    it('heartbeat extends only the current lease and reports cancellation', async ({ store }) => {
      await makeRun(store, 'r', [nt(spec('A'))]);
      const c = await store.claimNext('r', 'w', LEASE, T0);
      assert.ok(c);
      assert.deepEqual(await store.heartbeat('r', 'A', c.token, LEASE, T0 + 10_000), { ok: true, cancelRequested: false });
      assert.equal((await task(store, 'r', 'A')).lease?.expiresAt, T0 + 10_000 + LEASE);
      assert.equal((await store.heartbeat('r', 'A', c.token + 1, LEASE, T0 + 20_000)).ok, false);
      assert.equal((await task(store, 'r', 'A')).lease?.expiresAt, T0 + 10_000 + LEASE);
      assert.deepEqual(await store.requestCancel('r', 'A', T0 + 21_000), []);
      assert.deepEqual(await store.heartbeat('r', 'A', c.token, LEASE, T0 + 22_000), { ok: true, cancelRequested: true });
      await store.completeAttempt('r', 'A', c.token, { kind: 'cancelled', message: 'cancelled by user' }, T0 + 23_000);
      assert.equal((await store.heartbeat('r', 'A', c.token, LEASE, T0 + 24_000)).ok, false);
    });

    it('success stores the result and readies dependents only when all their dependencies are satisfied', async ({ store }) => {
      await makeRun(store, 'r', [
        nt(spec('D0', [], { status: 'done' })),
        nt(spec('A'), 30),
        nt(spec('B'), 20),
        nt(spec('C', ['A', 'B', 'D0'])),
        nt(spec('E', ['A'])),
      ]);
      const a = await store.claimNext('r', 'w', LEASE, T0);
      const b = await store.claimNext('r', 'w', LEASE, T0);
      assert.equal(a?.task.id, 'A');
      assert.equal(b?.task.id, 'B');
      const ra = await store.completeAttempt('r', 'A', a.token, { kind: 'succeeded', result: { sha: 'abc' }, output: 'done A' }, T0 + 5);
      assert.deepEqual(ra.unblocked, ['E']);
      assert.deepEqual(ra.blocked, []);
      assert.equal(ra.task.status, 'succeeded');
      assert.equal(ra.task.finishedAt, T0 + 5);
      assert.deepEqual(ra.task.result, { sha: 'abc' });
      assert.equal((await task(store, 'r', 'C')).status, 'pending');
      const rb = await store.completeAttempt('r', 'B', b.token, { kind: 'succeeded' }, T0 + 6);
      assert.deepEqual(rb.unblocked, ['C']);
      assert.deepEqual(await statuses(store, 'r'), { D0: 'done', A: 'succeeded', B: 'succeeded', C: 'ready', E: 'ready' });
      const [att] = await store.listAttempts('r', 'A');
      assert.equal(att?.status, 'succeeded');
      assert.equal(att?.output, 'done A');
      assert.equal(att?.finishedAt, T0 + 5);
      assert.deepEqual(att?.result, { sha: 'abc' });
    });

    it('releaseClaim gives a claim back without using up an attempt', async ({ store }) => {
      await makeRun(store, 'r', [nt(spec('A'), 30), nt(spec('B'), 20), nt(spec('C', ['B']), 10)]);
      const a = await store.claimNext('r', 'w', LEASE, T0);
      assert.equal(a?.task.id, 'A');
      assert.equal(await store.releaseClaim('r', 'A', a.token, T0 + 5000, T0 + 1), true);
      const ta = await task(store, 'r', 'A');
      assert.equal(ta.status, 'ready');
      assert.equal(ta.attemptCount, 0);
      assert.equal(ta.failedAttempts, 0);
      assert.equal(ta.startedAt, null);
      assert.equal(ta.notBefore, T0 + 5000);
      assert.deepEqual(await store.listAttempts('r', 'A'), []);
      // A stale token changes nothing.
      assert.equal(await store.releaseClaim('r', 'A', a.token, T0 + 9000, T0 + 2), false);
      // Not claimable before notBefore: B comes first; then A with a new token and attempt number 1.
      const b = await store.claimNext('r', 'w', LEASE, T0 + 10);
      assert.equal(b?.task.id, 'B');
      assert.equal(await store.claimNext('r', 'w', LEASE, T0 + 10), undefined);
      const a2 = await store.claimNext('r', 'w', LEASE, T0 + 5000);
      assert.equal(a2?.task.id, 'A');
      assert.equal(a2.attempt.number, 1);
      assert.ok(a2.token > a.token, 'the fencing token stays spent');
      await assert.rejects(store.completeAttempt('r', 'A', a.token, { kind: 'succeeded' }, T0 + 5001), ConflictError);
      // A task whose cancellation was requested while claimed is cancelled, and its dependents blocked.
      await store.requestCancel('r', 'B', T0 + 20);
      assert.equal(await store.releaseClaim('r', 'B', b.token, T0 + 9000, T0 + 21), true);
      assert.deepEqual(await statuses(store, 'r'), { A: 'running', B: 'cancelled', C: 'blocked' });
    });

    it('runs keep a reason and the backends they paused', async ({ store }) => {
      const run = await makeRun(store, 'r', [nt(spec('A'))]);
      assert.equal(run.reason, null);
      assert.deepEqual(run.pauses, []);
      const pauses = [{ backend: 'claude', until: T0 + 3_600_000, reason: 'usage limit reached' }];
      await store.updateRun('r', { status: 'failed', reason: 'budget', error: 'budget spent', pauses });
      const got = await store.getRun('r');
      assert.equal(got?.reason, 'budget');
      assert.deepEqual(got?.pauses, pauses);
      await store.updateRun('r', { reason: null, pauses: [] });
      assert.equal((await store.getRun('r'))?.reason, null);
      assert.deepEqual((await store.getRun('r'))?.pauses, []);
    });

    it('attempts keep the usage their agent reported, failed ones too, and runs total it', async ({ store }) => {
      await makeRun(store, 'r', [nt(spec('A'), 30), nt(spec('B'), 20), nt(spec('C'), 10)]);
      await makeRun(store, 'other', [nt(spec('X'))], T0 + 1);
      const a1 = await store.claimNext('r', 'w', LEASE, T0);
      assert.equal(a1?.task.id, 'A');
      assert.equal(a1.attempt.usage, null);
      const failedUsage = { inputTokens: 1200, outputTokens: 300, costUsd: 0.0125, turns: 2, model: 'claude-sonnet-4-5', sessionId: 's-1' };
      await store.completeAttempt('r', 'A', a1.token, { kind: 'failed', category: 'server', message: 'HTTP 500', retryAt: T0 + 10, usage: failedUsage }, T0 + 5);
      const a2 = await store.claimNext('r', 'w', LEASE, T0 + 20);
      assert.equal(a2?.task.id, 'A');
      await store.completeAttempt('r', 'A', a2.token, { kind: 'succeeded', usage: { inputTokens: 2000, outputTokens: 500, cachedInputTokens: 800, costUsd: 0.03, turns: 5 } }, T0 + 30);
      const b = await store.claimNext('r', 'w', LEASE, T0 + 31);
      assert.equal(b?.task.id, 'B');
      // An agent that reports nothing leaves the attempt's usage empty.
      await store.completeAttempt('r', 'B', b.token, { kind: 'succeeded' }, T0 + 32);
      const c = await store.claimNext('r', 'w', LEASE, T0 + 33);
      await store.completeAttempt('r', 'C', c!.token, { kind: 'cancelled', message: 'stop', usage: { costUsd: 0.5 } }, T0 + 34);
      const x = await store.claimNext('other', 'w', LEASE, T0 + 35);
      await store.completeAttempt('other', 'X', x!.token, { kind: 'succeeded', usage: { costUsd: 1, inputTokens: 10 } }, T0 + 36);

      const attempts = await store.listAttempts('r', 'A');
      assert.deepEqual(attempts.map((a) => a.usage), [failedUsage, { inputTokens: 2000, outputTokens: 500, cachedInputTokens: 800, costUsd: 0.03, turns: 5 }]);
      assert.equal((await store.listAttempts('r', 'B'))[0]?.usage, null);
      assert.deepEqual((await store.listAttempts('r', 'C'))[0]?.usage, { costUsd: 0.5 });
      assert.deepEqual(await store.usageTotals('r'), { attempts: 3, inputTokens: 3200, outputTokens: 800, cachedInputTokens: 800, costUsd: 0.5425, turns: 7 });
      assert.deepEqual(await store.usageTotals(), { attempts: 4, inputTokens: 3210, outputTokens: 800, cachedInputTokens: 800, costUsd: 1.5425, turns: 7 });
      assert.deepEqual(await store.usageTotals('nothing-here'), { attempts: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, costUsd: 0, turns: 0 });
    });

    it('rejects a stale or repeated completion with ConflictError and changes nothing', async ({ store }) => {
      await makeRun(store, 'r', [nt(spec('A')), nt(spec('B', ['A']))]);
      const c = await store.claimNext('r', 'w', LEASE, T0);
      assert.ok(c);
      const before = await store.listTasks('r');
      const attemptsBefore = await store.listAttempts('r');
      await assert.rejects(store.completeAttempt('r', 'A', c.token + 1, { kind: 'succeeded' }, T0 + 1), ConflictError);
      await assert.rejects(
        store.completeAttempt('r', 'A', c.token - 1, { kind: 'failed', category: 'agent', message: 'x', retryAt: null }, T0 + 1),
        ConflictError,
      );
      assert.deepEqual(await store.listTasks('r'), before);
      assert.deepEqual(await store.listAttempts('r'), attemptsBefore);
      await store.completeAttempt('r', 'A', c.token, { kind: 'succeeded', result: 1 }, T0 + 2);
      const after = await store.listTasks('r');
      await assert.rejects(store.completeAttempt('r', 'A', c.token, { kind: 'succeeded', result: 2 }, T0 + 3), ConflictError);
      assert.deepEqual(await store.listTasks('r'), after);
      // Not running at all (B is ready, never claimed).
      await assert.rejects(store.completeAttempt('r', 'B', 0, { kind: 'succeeded' }, T0 + 4), ConflictError);
    });

    it('a failure with retryAt returns the task to ready, not claimable before that time', async ({ store }) => {
      await makeRun(store, 'r', [nt(spec('A')), nt(spec('B', ['A']))]);
      const c1 = await store.claimNext('r', 'w', LEASE, T0);
      assert.ok(c1);
      const res = await store.completeAttempt(
        'r',
        'A',
        c1.token,
        { kind: 'failed', category: 'network', message: 'ECONNRESET', retryAt: T0 + 1000, output: 'tail' },
        T0 + 10,
      );
      assert.deepEqual(res.blocked, []);
      assert.equal(res.task.status, 'ready');
      assert.equal(res.task.notBefore, T0 + 1000);
      assert.equal(res.task.failedAttempts, 1);
      assert.equal(res.task.error, 'ECONNRESET');
      assert.equal(res.task.finishedAt, null);
      assert.equal((await task(store, 'r', 'B')).status, 'pending');
      assert.equal(await store.claimNext('r', 'w', LEASE, T0 + 999), undefined);
      const c2 = await store.claimNext('r', 'w2', LEASE, T0 + 1000);
      assert.ok(c2);
      assert.equal(c2.token, 2);
      assert.equal(c2.attempt.number, 2);
      assert.equal(c2.task.startedAt, T0, 'startedAt is set by the first claim only');
      const attempts = await store.listAttempts('r', 'A');
      assert.deepEqual(
        attempts.map((a) => [a.number, a.status, a.errorCategory, a.error, a.output]),
        [
          [1, 'failed', 'network', 'ECONNRESET', 'tail'],
          [2, 'running', null, null, null],
        ],
      );
    });

    it('a final failure blocks all unfinished transitive dependents', async ({ store }) => {
      await makeRun(store, 'r', [
        nt(spec('A'), 100),
        nt(spec('X'), 1),
        nt(spec('B', ['A'])),
        nt(spec('C', ['B', 'X'])),
        nt(spec('D', ['C'])),
        nt(spec('E', ['X'])),
      ]);
      const a = await store.claimNext('r', 'w', LEASE, T0);
      assert.equal(a?.task.id, 'A');
      const res = await store.completeAttempt('r', 'A', a.token, { kind: 'failed', category: 'auth', message: 'bad token', retryAt: null }, T0 + 1);
      assert.equal(res.task.status, 'failed');
      assert.equal(res.task.failedAttempts, 1);
      assert.equal(res.task.finishedAt, T0 + 1);
      assert.deepEqual(res.blocked, ['B', 'C', 'D']);
      assert.deepEqual(await statuses(store, 'r'), { A: 'failed', X: 'ready', B: 'blocked', C: 'blocked', D: 'blocked', E: 'pending' });
      assert.equal((await task(store, 'r', 'D')).error, 'blocked by A');
      // X's success must not revive C.
      const x = await store.claimNext('r', 'w', LEASE, T0 + 2);
      assert.equal(x?.task.id, 'X');
      const rx = await store.completeAttempt('r', 'X', x.token, { kind: 'succeeded' }, T0 + 3);
      assert.deepEqual(rx.unblocked, ['E']);
      assert.equal((await task(store, 'r', 'C')).status, 'blocked');
    });

    it('a cancelled outcome cancels the task and blocks its dependents', async ({ store }) => {
      await makeRun(store, 'r', [nt(spec('A')), nt(spec('B', ['A'])), nt(spec('C', ['B']))]);
      const a = await store.claimNext('r', 'w', LEASE, T0);
      assert.ok(a);
      const res = await store.completeAttempt('r', 'A', a.token, { kind: 'cancelled', message: 'stopped', output: 'partial' }, T0 + 1);
      assert.equal(res.task.status, 'cancelled');
      assert.deepEqual(res.blocked, ['B', 'C']);
      const [att] = await store.listAttempts('r', 'A');
      assert.equal(att?.status, 'cancelled');
      assert.equal(att?.output, 'partial');
    });

    it('reclaims expired leases and dead owners without counting a failure', async ({ store }) => {
      await makeRun(store, 'r', [nt(spec('A'), 30), nt(spec('B'), 20), nt(spec('C'), 10)]);
      const a = await store.claimNext('r', 'w-dead', LEASE, T0);
      const b = await store.claimNext('r', 'w-alive', LEASE, T0);
      const c = await store.claimNext('r', 'w-alive', 5_000, T0);
      assert.ok(a && b && c);
      assert.deepEqual(await store.reclaimExpired('r', T0 + 1000), []);
      assert.deepEqual(await store.reclaimExpired('r', T0 + 5_000), ['C']);
      assert.deepEqual((await store.reclaimExpired('r', T0 + 6_000, (owner) => owner === 'w-dead')).sort(), ['A']);
      const ta = await task(store, 'r', 'A');
      assert.equal(ta.status, 'ready');
      assert.equal(ta.failedAttempts, 0);
      const [att] = await store.listAttempts('r', 'A');
      assert.equal(att?.status, 'interrupted');
      assert.equal(att?.errorCategory, 'interrupted');
      assert.equal(att?.finishedAt, T0 + 6_000);
      // The old holder can neither heartbeat nor complete.
      assert.equal((await store.heartbeat('r', 'A', a.token, LEASE, T0 + 6_001)).ok, false);
      await assert.rejects(store.completeAttempt('r', 'A', a.token, { kind: 'succeeded' }, T0 + 6_002), ConflictError);
      const again = await store.claimNext('r', 'w2', LEASE, T0 + 7_000);
      assert.equal(again?.task.id, 'A');
      assert.equal(again.token, a.token + 1);
      assert.equal(again.attempt.number, 2);
      assert.equal((await task(store, 'r', 'B')).status, 'running');
    });

    it('requestCancel on a task: not started -> cancelled at once with dependents blocked; running -> flagged', async ({ store }) => {
      await makeRun(store, 'r', [nt(spec('A'), 50), nt(spec('B')), nt(spec('C', ['B'])), nt(spec('D', ['A']))]);
      const a = await store.claimNext('r', 'w', LEASE, T0);
      assert.equal(a?.task.id, 'A');
      assert.deepEqual(await store.requestCancel('r', 'B', T0 + 1), ['B']);
      assert.deepEqual(await statuses(store, 'r'), { A: 'running', B: 'cancelled', C: 'blocked', D: 'pending' });
      assert.deepEqual(await store.requestCancel('r', 'A', T0 + 2), []);
      assert.equal((await task(store, 'r', 'A')).cancelRequested, true);
      assert.equal((await task(store, 'r', 'A')).status, 'running');
      assert.deepEqual(await store.requestCancel('r', 'B', T0 + 3), [], 'already cancelled');
      await assert.rejects(store.requestCancel('r', 'nope', T0), NotFoundError);
      const res = await store.completeAttempt('r', 'A', a.token, { kind: 'cancelled', message: 'cancelled' }, T0 + 4);
      assert.deepEqual(res.blocked, ['D']);
    });

    it('requestCancel on a run cancels what has not started and flags what runs', async ({ store }) => {
      await makeRun(store, 'r', [nt(spec('A'), 50), nt(spec('B')), nt(spec('C', ['A']))]);
      await makeRun(store, 'other', [nt(spec('A'))]);
      const a = await store.claimNext('r', 'w', LEASE, T0);
      assert.ok(a);
      assert.deepEqual(await store.requestCancel('r', undefined, T0 + 1), ['B', 'C']);
      assert.equal((await store.getRun('r'))?.cancelRequested, true);
      assert.equal((await store.getRun('other'))?.cancelRequested, false);
      assert.deepEqual(await statuses(store, 'r'), { A: 'running', B: 'cancelled', C: 'cancelled' });
      assert.deepEqual(await statuses(store, 'other'), { A: 'ready' });
      assert.equal((await store.heartbeat('r', 'A', a.token, LEASE, T0 + 2)).cancelRequested, true);
      // A retry of a task whose cancellation was requested is not scheduled again.
      const res = await store.completeAttempt('r', 'A', a.token, { kind: 'failed', category: 'network', message: 'x', retryAt: T0 + 10 }, T0 + 3);
      assert.equal(res.task.status, 'cancelled');
      assert.equal(await store.claimNext('r', 'w', LEASE, T0 + 100), undefined);
      await assert.rejects(store.requestCancel('nope', undefined, T0), NotFoundError);
    });

    it('findTasks filters and pages without duplicates or gaps, newest run first', async ({ store }) => {
      const types = ['feature', 'docs', 'test'] as const;
      const prios: Priority[] = ['critical', 'high', 'medium', 'low'];
      for (const [i, runId] of ['r-old', 'r-new', 'r-mid', 'r-tie'].entries()) {
        const createdAt = [T0, T0 + 20, T0 + 10, T0 + 10][i] as number;
        const tasks = Array.from({ length: 13 }, (_, k) =>
          nt(spec(`t${String(k).padStart(2, '0')}`, [], { type: types[k % 3], priority: prios[k % 4] })),
        );
        await makeRun(store, runId, tasks, createdAt);
      }
      const collect = async (filter: Omit<Parameters<Store['findTasks']>[0], 'cursor'>) => {
        const seen: string[] = [];
        let cursor: string | undefined;
        for (let pages = 0; pages < 100; pages++) {
          const page = await store.findTasks({ ...filter, ...(cursor ? { cursor } : {}) });
          assert.ok(page.tasks.length <= filter.limit);
          seen.push(...page.tasks.map((t) => `${t.runId}/${t.id}`));
          if (!page.nextCursor) return seen;
          cursor = page.nextCursor;
        }
        throw new Error('pagination does not end');
      };
      const all = await collect({ limit: 5 });
      assert.equal(all.length, 52);
      assert.equal(new Set(all).size, 52);
      const runOrder = [...new Set(all.map((k) => k.split('/')[0]))];
      assert.deepEqual(runOrder, ['r-new', 'r-tie', 'r-mid', 'r-old']);
      assert.deepEqual(all.slice(0, 3), ['r-new/t00', 'r-new/t01', 'r-new/t02']);
      assert.deepEqual(await collect({ limit: 52 }), all);
      assert.deepEqual(await collect({ limit: 1 }), all);

      const docs = await collect({ limit: 3, type: 'docs', priority: 'high' });
      const expected = all.filter((k) => {
        const n = Number(k.split('/t')[1]);
        return n % 3 === 1 && n % 4 === 1;
      });
      assert.deepEqual(docs, expected);
      assert.equal((await collect({ limit: 4, runId: 'r-mid' })).length, 13);
      const c = await store.claimNext('r-mid', 'w', LEASE, T0);
      assert.ok(c);
      const running = await store.findTasks({ limit: 10, status: 'running' });
      assert.deepEqual(
        running.tasks.map((t) => `${t.runId}/${t.id}`),
        [`r-mid/${c.task.id}`],
      );
      assert.equal(running.nextCursor, null);
      await assert.rejects(store.findTasks({ limit: 5, cursor: 'not-a-cursor' }), InputError);
    });

    it('updateTask patches branch, PR, result and agent', async ({ store }) => {
      await makeRun(store, 'r', [nt(spec('A'))]);
      await store.updateTask('r', 'A', { branch: 'weft/A', prUrl: 'https://x/pr/1', result: { files: ['a'] }, agent: 'codex' });
      const t = await task(store, 'r', 'A');
      assert.equal(t.branch, 'weft/A');
      assert.equal(t.prUrl, 'https://x/pr/1');
      assert.deepEqual(t.result, { files: ['a'] });
      assert.equal(t.agent, 'codex');
      await assert.rejects(store.updateTask('r', 'nope', { branch: 'x' }), NotFoundError);
    });

    it('appends and lists events in id order', async ({ store }) => {
      await store.appendEvents([]);
      await store.appendEvents([
        { runId: 'r1', taskId: null, type: 'run.started', at: T0, data: { n: 1 } },
        { runId: 'r1', taskId: 'A', type: 'task.claimed', at: T0 + 1, data: null },
        { runId: 'r2', taskId: 'A', type: 'task.claimed', at: T0 + 2, data: ['x'] },
        { runId: null, taskId: null, type: 'server.started', at: T0 + 3, data: 'hi' },
      ]);
      const many = Array.from({ length: 1200 }, (_, i) => ({ runId: 'r3', taskId: null, type: 'tick', at: T0 + i, data: i }));
      await store.appendEvents(many);
      const first = await store.listEvents({ limit: 4 });
      assert.deepEqual(
        first.map((e) => [e.runId, e.taskId, e.type, e.at, e.data]),
        [
          ['r1', null, 'run.started', T0, { n: 1 }],
          ['r1', 'A', 'task.claimed', T0 + 1, null],
          ['r2', 'A', 'task.claimed', T0 + 2, ['x']],
          [null, null, 'server.started', T0 + 3, 'hi'],
        ],
      );
      const ids = first.map((e) => e.id);
      assert.ok(ids.every((id, i) => i === 0 || id > (ids[i - 1] as number)));
      assert.ok(ids.every((id) => typeof id === 'number'));
      const r1 = await store.listEvents({ runId: 'r1' });
      assert.deepEqual(r1.map((e) => e.type), ['run.started', 'task.claimed']);
      const after = await store.listEvents({ runId: 'r1', afterId: r1[0]?.id });
      assert.deepEqual(after.map((e) => e.id), [r1[1]?.id]);
      const ticks = await store.listEvents({ runId: 'r3', limit: 5000 });
      assert.equal(ticks.length, 1200);
      assert.deepEqual(ticks.map((e) => e.data), many.map((e) => e.data));
      assert.equal((await store.listEvents({ runId: 'r3', limit: 10 })).length, 10);
    });

    it('never hands one task to two concurrent claimers', async (h) => {
      const n = 120;
      await makeRun(
        h.store,
        'r',
        Array.from({ length: n }, (_, i) => nt(spec(`T${i}`), i % 7)),
      );
      const stores = [h.store, await h.openAnother(), await h.openAnother()];
      const claimed: string[] = [];
      const tokens = new Map<string, number>();
      await Promise.all(
        Array.from({ length: 24 }, async (_, w) => {
          const store = stores[w % stores.length] as Store;
          for (;;) {
            const c = await store.claimNext('r', `w${w}`, LEASE, T0);
            if (!c) return;
            claimed.push(c.task.id);
            tokens.set(c.task.id, c.token);
            await store.completeAttempt('r', c.task.id, c.token, { kind: 'succeeded' }, T0 + 1);
          }
        }),
      );
      assert.equal(claimed.length, n);
      assert.equal(new Set(claimed).size, n);
      assert.ok([...tokens.values()].every((t) => t === 1));
      assert.equal((await h.store.listAttempts('r')).length, n);
      assert.ok((await h.store.listTasks('r')).every((t) => t.status === 'succeeded'));
    });

    it('dependencies finishing concurrently still ready their shared dependent', async (h) => {
      const pairs = 30;
      const tasks: NewTask[] = [];
      for (let i = 0; i < pairs; i++) {
        tasks.push(nt(spec(`A${i}`), 20), nt(spec(`B${i}`), 20), nt(spec(`C${i}`, [`A${i}`, `B${i}`]), 10));
      }
      await makeRun(h.store, 'r', tasks);
      const other = await h.openAnother();
      const claims = [];
      for (let i = 0; i < pairs * 2; i++) {
        const c = await h.store.claimNext('r', 'w', LEASE, T0);
        assert.ok(c);
        claims.push(c);
      }
      const results = await Promise.all(
        claims.map((c, i) => (i % 2 ? other : h.store).completeAttempt('r', c.task.id, c.token, { kind: 'succeeded' }, T0 + 1)),
      );
      const unblocked = results.flatMap((r) => r.unblocked).sort();
      assert.equal(unblocked.length, pairs);
      const st = await statuses(h.store, 'r');
      for (let i = 0; i < pairs; i++) assert.equal(st[`C${i}`], 'ready');
    });

    it('counts tasks by status, per run and overall', async ({ store }) => {
      await makeRun(store, 'r1', [nt(spec('A')), nt(spec('B', ['A']))]);
      await makeRun(store, 'r2', [nt(spec('A'))], T0 + 1);
      assert.deepEqual(await store.countTasks('r1'), { ready: 1, pending: 1 });
      assert.deepEqual(await store.countTasks(), { ready: 2, pending: 1 });
      assert.deepEqual(await store.countTasks('nope'), {});
    });

    it('updates the spec of a task that has not started, and only that', async ({ store }) => {
      await makeRun(store, 'r', [nt(spec('A')), nt(spec('B', ['A']))]);
      const edited = await store.updateTaskSpec('r', 'B', spec('B', ['A'], { title: 'New title', priority: 'high', type: 'docs', agent: 'codegen' }));
      assert.equal(edited.title, 'New title');
      assert.equal(edited.priority, 'high');
      assert.equal(edited.type, 'docs');
      assert.equal(edited.agent, 'codegen');
      assert.equal(edited.spec.title, 'New title');
      assert.equal(edited.status, 'pending');
      await assert.rejects(store.updateTaskSpec('r', 'B', spec('B', [])), InputError);
      await assert.rejects(store.updateTaskSpec('r', 'B', spec('C', ['A'])), InputError);
      await assert.rejects(store.updateTaskSpec('r', 'Z', spec('Z')), NotFoundError);
      const c = await store.claimNext('r', 'w', LEASE, T0);
      assert.equal(c?.task.id, 'A');
      await assert.rejects(store.updateTaskSpec('r', 'A', spec('A', [], { title: 'late' })), ConflictError);
      assert.equal((await task(store, 'r', 'A')).title, 'Task A');
    });

    it('reports the newest event id', async ({ store }) => {
      assert.equal(await store.lastEventId(), 0);
      await store.appendEvents([
        { runId: null, taskId: null, type: 'a', at: T0, data: null },
        { runId: null, taskId: null, type: 'b', at: T0, data: { x: 1 } },
      ]);
      const all = await store.listEvents({});
      assert.equal(await store.lastEventId(), all[all.length - 1]?.id);
    });

    it('appends and pages the audit log, newest first', async ({ store }) => {
      for (let i = 0; i < 5; i++) {
        await store.appendAudit({ at: T0 + i, actor: i % 2 ? 'ci' : 'anonymous', method: 'POST', path: `/api/v1/runs/${i}`, status: 201, body: i ? `{"n":${i}}` : null });
      }
      const first = await store.listAudit({ limit: 3 });
      assert.deepEqual(first.map((a) => a.path), ['/api/v1/runs/4', '/api/v1/runs/3', '/api/v1/runs/2']);
      assert.equal(first[0]?.actor, 'anonymous');
      assert.equal(first[0]?.status, 201);
      assert.equal(first[0]?.at, T0 + 4);
      const rest = await store.listAudit({ beforeId: first[2]!.id, limit: 10 });
      assert.deepEqual(rest.map((a) => a.path), ['/api/v1/runs/1', '/api/v1/runs/0']);
      assert.equal(rest[1]?.body, null);
    });

    it('adds memory (one entry per task) and searches it case-insensitively', async ({ store }) => {
      await store.addMemory({ runId: 'r', taskId: 'A', title: 'Deploy the shop', summary: 'Wrote a Dockerfile', source: 'engine', createdAt: T0 });
      await store.addMemory({ runId: 'r', taskId: 'B', title: 'Accounts', summary: 'Added 100% of the login_form', source: 'api', createdAt: T0 + 1 });
      const replaced = await store.addMemory({ runId: 'r', taskId: 'A', title: 'Deploy the shop', summary: 'Wrote a Dockerfile and a compose file', source: 'planner-7', createdAt: T0 + 2 });
      assert.equal(replaced.source, 'planner-7');
      assert.deepEqual((await store.searchMemory('')).map((m) => m.taskId), ['A', 'B']);
      assert.deepEqual((await store.searchMemory('DOCKERFILE')).map((m) => m.summary), ['Wrote a Dockerfile and a compose file']);
      assert.deepEqual((await store.searchMemory('deploy')).map((m) => m.taskId), ['A']);
      // `%` and `_` match themselves, not any text.
      assert.deepEqual((await store.searchMemory('100%')).map((m) => m.taskId), ['B']);
      assert.deepEqual((await store.searchMemory('login_f')).map((m) => m.taskId), ['B']);
      assert.deepEqual(await store.searchMemory('login%f'), []);
      assert.equal((await store.searchMemory('', 1)).length, 1);
    });

    pullRequestConformance(it, spec);

    // Speed is measured in bench/, never asserted here: a loaded machine must not fail the suite.
    it('runs a 1,000-task chain of claim + complete to the end, each task once, in dependency order', async ({ store }) => {
      const n = 1000;
      const tasks = Array.from({ length: n }, (_, i) => nt(spec(`T${String(i).padStart(5, '0')}`, i % 2 ? [`T${String(i - 1).padStart(5, '0')}`] : []), n - i));
      await makeRun(store, 'r', tasks);
      const finished = new Set<string>();
      for (;;) {
        const c = await store.claimNext('r', 'w', LEASE, T0);
        if (!c) break;
        assert.ok(!finished.has(c.task.id), `${c.task.id} claimed twice`);
        for (const dep of c.task.spec.dependsOn) assert.ok(finished.has(dep), `${c.task.id} claimed before ${dep}`);
        await store.completeAttempt('r', c.task.id, c.token, { kind: 'succeeded', output: 'ok' }, T0 + 1);
        finished.add(c.task.id);
      }
      assert.equal(finished.size, n);
      assert.equal((await store.countTasks('r')).succeeded, n);
    });
  });
}
