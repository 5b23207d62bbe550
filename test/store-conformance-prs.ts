/** Pull request tracking part of the Store conformance suite (called from store-conformance.ts). */
import assert from 'node:assert/strict';
import { NotFoundError } from '../src/core/errors.js';
import type { TaskSpec } from '../src/core/task.js';
import type { PullRequestInput } from '../src/store/pr-records.js';
import type { Store } from '../src/store/store.js';

const T0 = 1_700_000_000_000;
const LEASE = 30_000;

type It = (title: string, fn: (h: { store: Store }) => Promise<void>) => void;
type Spec = (id: string, dependsOn?: string[]) => TaskSpec;

function pr(runId: string, taskId: string | null, number: number, extra: Partial<PullRequestInput> = {}): PullRequestInput {
  const head = taskId ? `weft/${runId}/${taskId}` : `weft/run-${runId}`;
  return { runId, taskId, repo: 'o/r', number, url: `https://github.com/o/r/pull/${number}`, head, base: taskId ? `weft/run-${runId}` : 'main', now: T0, ...extra };
}

async function run(store: Store, id: string, spec: Spec, tasks: [string, string[]][]) {
  await store.createRun(
    { id, title: id, agent: 'simulate', concurrency: 2, maxAttempts: 3, createdAt: T0 },
    tasks.map(([t, deps]) => ({ spec: spec(t, deps), tailMinutes: 10, phase: 1 })),
  );
}

async function succeed(store: Store, runId: string, taskId: string): Promise<string[]> {
  const c = await store.claimNext(runId, 'w', LEASE, T0);
  assert.equal(c?.task.id, taskId);
  return (await store.completeAttempt(runId, taskId, c.token, { kind: 'succeeded' }, T0 + 1)).unblocked;
}

/** Registers the pull request tests with the suite's per-test store factory. */
export function pullRequestConformance(it: It, spec: Spec): void {
  it('pull requests: upsert is keyed by run and head, keeps counters, finds by number and head', async ({ store }) => {
    await run(store, 'r1', spec, [['A', []], ['B', []]]);
    await run(store, 'r2', spec, [['A', []]]);
    const a = await store.upsertPullRequest(pr('r1', 'A', 7, { draft: true, headSha: 'abc' }));
    assert.equal(a.state, 'open');
    assert.equal(a.draft, true);
    assert.deepEqual(a.reactions, { checks_failed: 0, changes_requested: 0, conflict: 0 });
    assert.deepEqual(a.checks, {});
    assert.equal(await store.recordPullRequestReaction('r1', a.head, 'checks_failed:abc', 'checks_failed', T0 + 1), true);
    // The same key again (a repeated webhook) applies nothing.
    assert.equal(await store.recordPullRequestReaction('r1', a.head, 'checks_failed:abc', 'checks_failed', T0 + 2), false);
    // Upserting again (a resumed run) updates in place and keeps counters and state it was not given.
    await store.updatePullRequest('r1', a.head, { state: 'checks_failed', checks: { ci: { status: 'completed', conclusion: 'failure', summary: 'boom', url: null } }, now: T0 + 3 });
    const again = await store.upsertPullRequest(pr('r1', 'A', 7, { url: 'https://github.com/o/r/pull/7#x', now: T0 + 4 }));
    assert.equal(again.url, 'https://github.com/o/r/pull/7#x');
    assert.equal(again.state, 'checks_failed');
    assert.equal(again.draft, true);
    assert.equal(again.headSha, 'abc');
    assert.equal(again.reactions.checks_failed, 1);
    assert.equal(again.lastReaction, 'checks_failed:abc');
    assert.equal(again.checks.ci?.conclusion, 'failure');
    assert.equal(again.createdAt, T0);
    assert.equal(again.updatedAt, T0 + 4);
    await store.upsertPullRequest(pr('r1', 'B', 8));
    await store.upsertPullRequest(pr('r2', 'A', 7, { repo: 'other/repo', now: T0 + 10 }));
    await store.upsertPullRequest(pr('r1', null, 9));
    assert.equal((await store.listPullRequests()).length, 4);
    assert.deepEqual((await store.listPullRequests({ runId: 'r1' })).map((p) => p.number).sort(), [7, 8, 9]);
    assert.deepEqual((await store.listPullRequests({ state: 'checks_failed' })).map((p) => p.runId), ['r1']);
    assert.equal((await store.getPullRequest('r1', 'A'))?.number, 7);
    assert.equal(await store.getPullRequest('r1', 'C'), undefined);
    assert.equal((await store.findPullRequestByNumber(7, 'o/r'))?.runId, 'r1');
    assert.equal((await store.findPullRequestByNumber(7, 'OTHER/repo'))?.runId, 'r2');
    assert.equal((await store.findPullRequestByNumber(7))?.runId, 'r2');
    assert.equal(await store.findPullRequestByNumber(99), undefined);
    assert.equal((await store.findPullRequestByHead('weft/r1/B'))?.number, 8);
    assert.equal((await store.findPullRequestByHead('weft/run-r1'))?.taskId, null);
    await assert.rejects(store.updatePullRequest('r1', 'nope', { state: 'merged', now: T0 }), NotFoundError);
  });

  it('pull requests: stats and cleanup of old finished records', async ({ store }) => {
    await run(store, 'r', spec, [['A', []], ['B', []], ['C', []], ['D', []]]);
    for (const [i, t] of ['A', 'B', 'C', 'D'].entries()) await store.upsertPullRequest(pr('r', t, i + 1, { now: T0 }));
    await store.updatePullRequest('r', 'weft/r/A', { state: 'merged', mergedAt: T0 + 1000, now: T0 + 1000 });
    await store.updatePullRequest('r', 'weft/r/B', { state: 'merged', mergedAt: T0 + 3000, now: T0 + 3000 });
    await store.updatePullRequest('r', 'weft/r/C', { state: 'closed', closedAt: T0 + 50, now: T0 + 50 });
    const stats = await store.pullRequestStats();
    assert.equal(stats.total, 4);
    assert.equal(stats.byState.merged, 2);
    assert.equal(stats.byState.closed, 1);
    assert.equal(stats.byState.open, 1);
    assert.equal(stats.byState.approved, 0);
    assert.equal(stats.successRate, 2 / 3);
    assert.equal(stats.averageTimeToMergeMs, 2000);
    assert.equal((await store.pullRequestStats('none')).successRate, null);
    assert.equal((await store.pullRequestStats('none')).averageTimeToMergeMs, null);
    // Only finished records older than the cutoff go; open ones stay whatever their age.
    assert.equal(await store.deletePullRequestsBefore(T0 + 2000), 2);
    assert.deepEqual((await store.listPullRequests()).map((p) => p.taskId).sort(), ['B', 'D']);
  });

  it('merge wait: dependents start only when the PR merged', async ({ store }) => {
    await run(store, 'r', spec, [['A', []], ['B', ['A']], ['C', ['A', 'X']], ['X', []]]);
    const c = await store.claimNext('r', 'w', LEASE, T0);
    assert.equal(c?.task.id, 'A');
    // The PR hook sets the wait before the attempt completes, so B never becomes ready early.
    assert.deepEqual(await store.setMergeWait('r', 'A', true, T0), []);
    const done = await store.completeAttempt('r', 'A', c.token, { kind: 'succeeded' }, T0 + 1);
    assert.equal(done.task.status, 'succeeded');
    assert.deepEqual(done.unblocked, []);
    assert.deepEqual(await store.listMergeWaits('r'), ['A']);
    assert.equal((await store.getTask('r', 'B'))?.status, 'pending');
    assert.deepEqual(await store.setMergeWait('r', 'A', false, T0 + 2), ['B']);
    assert.deepEqual(await store.listMergeWaits('r'), []);
    assert.equal((await store.getTask('r', 'C'))?.status, 'pending');
    assert.deepEqual(await succeed(store, 'r', 'B'), []);
    assert.deepEqual(await succeed(store, 'r', 'X'), ['C']);
    await assert.rejects(store.setMergeWait('r', 'nope', true, T0), NotFoundError);
  });

  it('reopenTask: a finished task gets a new attempt with the PR feedback; others are left alone', async ({ store }) => {
    await run(store, 'r', spec, [['A', []], ['B', ['A']]]);
    assert.deepEqual(await succeed(store, 'r', 'A'), ['B']);
    const fb = { category: 'checks_failed' as const, message: 'checks failed: build', output: 'error TS2322', result: { checks: ['build'] } };
    const attempt = await store.reopenTask('r', 'A', fb, T0 + 5);
    assert.ok(attempt);
    assert.equal(attempt.number, 2);
    assert.equal(attempt.status, 'failed');
    assert.equal(attempt.errorCategory, 'checks_failed');
    const a = await store.getTask('r', 'A');
    assert.equal(a?.status, 'ready');
    assert.equal(a?.attemptCount, 2);
    assert.equal(a?.failedAttempts, 0);
    const attempts = await store.listAttempts('r', 'A');
    assert.deepEqual(attempts.map((x) => [x.number, x.status]), [[1, 'succeeded'], [2, 'failed']]);
    assert.equal(attempts[1]?.output, 'error TS2322');
    assert.deepEqual(attempts[1]?.result, { checks: ['build'] });
    // Reopening a task that is not finished changes nothing.
    assert.equal(await store.reopenTask('r', 'A', fb, T0 + 6), undefined);
    assert.equal(await store.reopenTask('r', 'B', fb, T0 + 6), undefined);
    // The dependent that already started on the first result is left alone.
    assert.equal((await store.getTask('r', 'B'))?.status, 'ready');
    // The next claim of A is attempt 3 (ids break the tie).
    const c = await store.claimNext('r', 'w', LEASE, T0 + 10);
    assert.equal(c?.task.id, 'A');
    assert.equal(c?.attempt.number, 3);
    assert.equal((await store.completeAttempt('r', 'A', c.token, { kind: 'succeeded' }, T0 + 11)).task.status, 'succeeded');
    await assert.rejects(store.reopenTask('r', 'nope', fb, T0), NotFoundError);
  });

  it('withdrawTask: a succeeded task is cancelled and its unfinished dependents blocked', async ({ store }) => {
    await run(store, 'r', spec, [['A', []], ['B', ['A']], ['C', ['B']], ['D', []]]);
    const c = await store.claimNext('r', 'w', LEASE, T0);
    assert.equal(c?.task.id, 'A');
    await store.setMergeWait('r', 'A', true, T0);
    await store.completeAttempt('r', 'A', c.token, { kind: 'succeeded' }, T0 + 1);
    assert.deepEqual(await store.withdrawTask('r', 'A', 'pull request #1 closed without merging', T0 + 2), ['B', 'C']);
    const a = await store.getTask('r', 'A');
    assert.equal(a?.status, 'cancelled');
    assert.equal(a?.error, 'pull request #1 closed without merging');
    assert.deepEqual(await store.listMergeWaits('r'), []);
    assert.equal((await store.getTask('r', 'C'))?.status, 'blocked');
    // A running task is asked to stop instead.
    const d = await store.claimNext('r', 'w', LEASE, T0);
    assert.equal(d?.task.id, 'D');
    assert.deepEqual(await store.withdrawTask('r', 'D', 'closed', T0 + 3), []);
    assert.equal((await store.heartbeat('r', 'D', d.token, LEASE, T0 + 4)).cancelRequested, true);
    await assert.rejects(store.withdrawTask('r', 'nope', 'x', T0), NotFoundError);
  });
}
