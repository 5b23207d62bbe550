// POST /api/v1/webhooks/github on its own Fastify instance: signatures, and GitHub's published example
// payloads (from @octokit/webhooks-examples, rewritten to point at weft's PRs) moving tasks and reactions.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { weftConfigSchema, type WeftConfig } from '../src/config/config-schema.js';
import { loadRunStatus } from '../src/engine/run-status.js';
import { registerGithubWebhook } from '../src/server/routes/github-webhook.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import type { TaskSpec } from '../src/core/task.js';
import { Weft } from '../src/weft.js';
import { startGithubStandIn, type StandIn } from './github-stand-in.js';

const require = createRequire(import.meta.url);
const EXAMPLES = require('@octokit/webhooks-examples') as { name: string; examples: Record<string, unknown>[] }[];
const SECRET = 'It’s a Secret to Everybody';
const TOKEN = 'ghp_test_token_123';
const RUN = 'r1';

type Payload = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A deep copy of GitHub's example payload for `name` that `pick` accepts. */
function example(name: string, pick: (p: Payload) => boolean = () => true): Payload {
  const found = EXAMPLES.find((e) => e.name === name)?.examples.find((p) => pick(p as Payload));
  assert.ok(found, `example ${name}`);
  return structuredClone(found) as Payload;
}

function sign(body: string, secret = SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function spec(id: string, dependsOn: string[] = []): TaskSpec {
  return {
    id, title: `Task ${id}`, description: `Do ${id}.`, type: 'feature', typeReason: 'test', priority: 'medium', status: 'pending', dependsOn,
    estimateMinutes: 10, files: [], acceptanceCriteria: [`${id} works`], requirementId: 'R', requirementTitle: 'R', source: { file: 'R.md', line: 1 },
  };
}

const head = (task: string) => `weft/${RUN}/${task}`;

describe('github webhook route', () => {
  let dir: string;
  let store: Store;
  let app: FastifyInstance;
  let standIn: StandIn;
  let resumed: string[];
  const numbers: Record<string, number> = {};

  before(async () => {
    standIn = await startGithubStandIn({ token: TOKEN });
    process.env.GITHUB_TOKEN = TOKEN;
    process.env.GITHUB_API_URL = standIn.url;
  });
  after(async () => {
    await standIn.close();
    delete process.env.GITHUB_TOKEN;
    delete process.env.GITHUB_API_URL;
  });

  async function setup(pr: Record<string, unknown> = {}) {
    dir = mkdtempSync(join(tmpdir(), 'weft-webhook-'));
    store = openSqliteStore(join(dir, 'weft.db'));
    await store.migrate();
    const config: WeftConfig = weftConfigSchema.parse({ pr: { pollSeconds: 0, ...pr } });
    const weft = new Weft(config, store, dir);
    // A run whose A, B and C succeeded, each with an open PR; D depends on A and waits for A's merge.
    await store.createRun(
      { id: RUN, title: 'Shop', agent: 'simulate', concurrency: 2, maxAttempts: 3, repo: null, baseBranch: 'main', branch: `weft/run-${RUN}`, options: { pr: { enabled: true, remote: null, githubRepo: `${standIn.owner}/${standIn.repo}` } }, createdAt: 1 },
      [spec('A'), spec('B'), spec('C'), spec('D', ['A'])].map((s) => ({ spec: s, tailMinutes: s.id === 'A' ? 20 : 10, phase: 1 })),
    );
    standIn.pulls.clear();
    for (const id of ['A', 'B', 'C']) {
      const c = await store.claimNext(RUN, 'w', 30_000, Date.now());
      assert.equal(c?.task.id, id);
      if (id === 'A') await store.setMergeWait(RUN, 'A', true, Date.now());
      await store.completeAttempt(RUN, id, c.token, { kind: 'succeeded' }, Date.now());
      const number = 40 + Object.keys(numbers).length + standIn.pulls.size;
      numbers[id] = number;
      standIn.pulls.set(number, { number, title: `Task ${id}`, body: '', head: head(id), base: `weft/run-${RUN}`, draft: false, state: 'open', merged: false, mergeable: true, labels: [], reviewers: [], assignees: [], comments: [], createdAt: new Date().toISOString(), mergedAt: null, closedAt: null });
      await store.upsertPullRequest({ runId: RUN, taskId: id, repo: `${standIn.owner}/${standIn.repo}`, number, url: `https://github.example/${standIn.owner}/${standIn.repo}/pull/${number}`, head: head(id), base: `weft/run-${RUN}`, headSha: standIn.headSha(head(id)), now: Date.now() });
    }
    resumed = [];
    app = Fastify();
    await registerGithubWebhook(app, { weft, resume: (id) => resumed.push(id) });
    await app.ready();
  }

  beforeEach(() => {
    process.env.WEFT_WEBHOOK_SECRET = SECRET;
    for (const k of Object.keys(numbers)) delete numbers[k];
  });
  afterEach(async () => {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    delete process.env.WEFT_WEBHOOK_SECRET;
  });

  async function post(event: string, payload: unknown, opts: { signature?: string | null; raw?: string } = {}) {
    const body = opts.raw ?? JSON.stringify(payload);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': 'd-1' };
    const signature = opts.signature === undefined ? sign(body) : opts.signature;
    if (signature !== null) headers['x-hub-signature-256'] = signature;
    return app.inject({ method: 'POST', url: '/api/v1/webhooks/github', headers, payload: body });
  }

  /** pull_request `closed` example, pointed at task `task`'s PR. */
  function closedPayload(task: string, merged: boolean): Payload {
    const p = example('pull_request', (x) => x.action === 'closed');
    p.number = numbers[task];
    p.pull_request.number = numbers[task];
    p.pull_request.head.ref = head(task);
    p.pull_request.merged = merged;
    p.pull_request.merged_at = merged ? '2026-01-02T03:04:05Z' : null;
    return p;
  }

  function checkSuiteFailure(task: string, sha?: string): Payload {
    const p = example('check_suite', (x) => x.action === 'completed' && (x.check_suite.pull_requests?.length ?? 0) > 0);
    p.check_suite.conclusion = 'failure';
    p.check_suite.head_branch = head(task);
    if (sha) p.check_suite.head_sha = sha;
    p.check_suite.pull_requests[0].number = numbers[task];
    p.check_suite.pull_requests[0].head.ref = head(task);
    return p;
  }

  it('refuses a bad or missing signature with 401 and changes nothing', async () => {
    await setup();
    const payload = closedPayload('A', true);
    const body = JSON.stringify(payload);
    const before = JSON.stringify(await store.listPullRequests({ runId: RUN }));
    for (const signature of [null, 'sha256=deadbeef', sign(body, 'wrong secret'), sign(body + ' ')]) {
      const res = await post('pull_request', payload, { signature });
      assert.equal(res.statusCode, 401, String(signature));
      assert.equal(res.json().error.code, 'unauthorized');
    }
    // A body changed after signing fails too.
    const res = await post('pull_request', payload, { signature: sign(body), raw: body.replace('"closed"', '"reopened"') });
    assert.equal(res.statusCode, 401);
    delete process.env.WEFT_WEBHOOK_SECRET;
    assert.equal((await post('pull_request', payload)).statusCode, 401, 'no secret configured: refused');
    assert.equal(JSON.stringify(await store.listPullRequests({ runId: RUN })), before);
    assert.equal((await store.getTask(RUN, 'D'))?.status, 'pending');
    assert.deepEqual(resumed, []);
  });

  it('answers ping, ignores unknown PRs and untracked events, rejects a body that is not JSON', async () => {
    await setup();
    assert.equal((await post('ping', { zen: 'Keep it logically awesome.' })).json().ok, true);
    const unknown = closedPayload('A', true);
    unknown.number = unknown.pull_request.number = 999;
    unknown.pull_request.head.ref = 'someone-else';
    assert.deepEqual((await post('pull_request', unknown)).json().outcomes, []);
    assert.deepEqual((await post('issues', { action: 'opened' })).json().outcomes, []);
    assert.equal((await post('pull_request', null, { raw: 'not json' })).statusCode, 400);
    assert.equal((await store.getPullRequest(RUN, 'A'))?.state, 'open');
  });

  it('merged: the PR is merged, the task done and the dependent waiting for the merge starts', async () => {
    await setup();
    const res = await post('pull_request', closedPayload('A', true));
    assert.equal(res.statusCode, 200);
    const [outcome] = res.json().outcomes;
    assert.equal(outcome.to, 'merged');
    assert.equal(outcome.reaction, 'merged');
    assert.deepEqual(outcome.unblocked, ['D']);
    const pr = await store.getPullRequest(RUN, 'A');
    assert.equal(pr?.state, 'merged');
    assert.equal(pr?.mergedAt, Date.parse('2026-01-02T03:04:05Z'));
    assert.equal((await store.getTask(RUN, 'A'))?.status, 'succeeded');
    assert.equal((await store.getTask(RUN, 'D'))?.status, 'ready');
    assert.deepEqual(resumed, [RUN]);
    const status = await loadRunStatus(store, RUN);
    assert.deepEqual(status.tasks.find((t) => t.id === 'A')?.pr, { url: pr?.url, number: numbers.A, state: 'merged' });
    assert.equal(status.tasks.find((t) => t.id === 'D')?.pr, null);
    // The same delivery again changes nothing more.
    const again = (await post('pull_request', closedPayload('A', true))).json().outcomes[0];
    assert.equal(again.reaction, 'none');
    assert.equal((await store.pullRequestStats(RUN)).byState.merged, 1);
  });

  it('closed without merging: the task is cancelled and its dependents blocked', async () => {
    await setup();
    const [outcome] = (await post('pull_request', closedPayload('A', false))).json().outcomes;
    assert.equal(outcome.to, 'closed');
    assert.equal(outcome.reaction, 'closed');
    assert.deepEqual(outcome.blocked, ['D']);
    assert.equal((await store.getTask(RUN, 'A'))?.status, 'cancelled');
    assert.match((await store.getTask(RUN, 'A'))?.error ?? '', /closed without merging/);
    assert.equal((await store.getTask(RUN, 'D'))?.status, 'blocked');
    assert.equal((await store.getPullRequest(RUN, 'A'))?.state, 'closed');
    assert.deepEqual(resumed, []);
  });

  it('failed checks: a new attempt with the failing checks in its feedback, once per commit; then a human is asked', async () => {
    await setup({ reactions: { checksFailed: 1 } });
    const sha = standIn.headSha(head('B'));
    standIn.checks.set(sha, [{ name: 'Octocoders-linter', status: 'completed', conclusion: 'failure', output: { title: 'Lint', summary: 'src/b.ts:3 missing semicolon' } }]);
    const res = await post('check_suite', checkSuiteFailure('B', sha));
    const [outcome] = res.json().outcomes;
    assert.equal(outcome.to, 'checks_failed');
    assert.equal(outcome.reaction, 'retry');
    assert.equal(outcome.reopened, true);
    assert.deepEqual(resumed, [RUN]);
    const task = await store.getTask(RUN, 'B');
    assert.equal(task?.status, 'ready');
    const attempts = await store.listAttempts(RUN, 'B');
    const feedback = attempts.at(-1)!;
    assert.equal(feedback.errorCategory, 'checks_failed');
    assert.match(feedback.error ?? '', new RegExp(`#${numbers.B}: checks failed`));
    // The check's output came from the API, since the check_suite payload only names the suite.
    assert.match(feedback.output ?? '', /Octocoders-linter: failure[\s\S]*missing semicolon/);
    assert.equal((await store.getPullRequest(RUN, 'B'))?.reactions.checks_failed, 1);

    // A redelivery (same commit) does nothing.
    assert.equal((await post('check_suite', checkSuiteFailure('B', sha))).json().outcomes[0].reaction, 'none');
    assert.equal((await store.listAttempts(RUN, 'B')).length, attempts.length);

    // The fix attempt ran and pushed a new commit, which fails again: the cap (1) is reached.
    const c = await store.claimNext(RUN, 'w', 30_000, Date.now());
    assert.equal(c?.task.id, 'B');
    await store.completeAttempt(RUN, 'B', c.token, { kind: 'succeeded' }, Date.now());
    await store.updatePullRequest(RUN, head('B'), { headSha: 'b'.repeat(40), checks: {}, state: 'open', now: Date.now() });
    const run = example('check_run', (x) => x.action === 'completed' && x.check_run.conclusion === 'failure');
    run.check_run.head_sha = 'b'.repeat(40);
    run.check_run.check_suite.head_branch = head('B');
    run.check_run.pull_requests[0].number = numbers.B;
    run.check_run.pull_requests[0].head.ref = head('B');
    run.check_run.output = { title: 'Tests', summary: '2 failing', text: 'expected 3, got 4' };
    const [esc] = (await post('check_run', run)).json().outcomes;
    assert.equal(esc.reaction, 'escalate');
    assert.match(esc.detail, /Needs a human: checks are failing on #\d+ \(task B\).*pr\.reactions\.checksFailed = 1/);
    const pr = await store.getPullRequest(RUN, 'B');
    assert.equal(pr?.escalation, esc.detail);
    assert.equal((await store.getTask(RUN, 'B'))?.status, 'succeeded', 'no new attempt past the cap');
    const gh = standIn.pulls.get(numbers.B!)!;
    assert.ok(gh.labels.includes('weft:needs-human'));
    assert.match(gh.comments.join('\n'), /Needs a human/);
    assert.ok(standIn.requests.every((r) => r.auth === `token ${TOKEN}`), 'every API call carried the token');
  });

  it('changes requested: a new attempt carrying the review and its line comments', async () => {
    await setup();
    const p = example('pull_request_review', (x) => x.action === 'submitted');
    p.review.state = 'changes_requested';
    p.review.body = 'Please validate the SKU before saving.';
    p.pull_request.number = numbers.C;
    p.pull_request.head.ref = head('C');
    standIn.reviewComments.set(numbers.C!, [{ path: 'src/c.ts', line: 7, body: 'Use a constant here', user: 'Codertocat', reviewId: p.review.id as number }]);
    const [outcome] = (await post('pull_request_review', p)).json().outcomes;
    assert.equal(outcome.to, 'changes_requested');
    assert.equal(outcome.reaction, 'retry');
    const fb = (await store.listAttempts(RUN, 'C')).at(-1)!;
    assert.equal(fb.errorCategory, 'changes_requested');
    assert.match(fb.error ?? '', /@Codertocat\) requested changes[\s\S]*validate the SKU/);
    assert.match(fb.output ?? '', /src\/c\.ts:7 \(@Codertocat\): Use a constant here/);
    assert.equal((await store.getTask(RUN, 'C'))?.status, 'ready');
  });

  it('approved and green with auto-merge on: weft merges it, and the merge releases the dependents', async () => {
    await setup({ autoMerge: true, mergeMethod: 'squash' });
    const status = example('status');
    status.sha = standIn.headSha(head('A'));
    status.branches = [{ name: head('A') }];
    status.state = 'success';
    assert.equal((await post('status', status)).json().outcomes[0].to, 'checks_passed');
    const p = example('pull_request_review', (x) => x.action === 'submitted');
    p.review.state = 'approved';
    p.pull_request.number = numbers.A;
    p.pull_request.head.ref = head('A');
    const [outcome] = (await post('pull_request_review', p)).json().outcomes;
    assert.equal(outcome.reaction, 'merge');
    assert.equal(outcome.to, 'merged');
    assert.deepEqual(outcome.unblocked, ['D']);
    assert.deepEqual(standIn.merges.map((m) => [m.number, m.method]), [[numbers.A, 'squash']]);
    assert.equal((await store.getPullRequest(RUN, 'A'))?.state, 'merged');
    assert.equal((await store.getTask(RUN, 'D'))?.status, 'ready');
  });

  it('a failing commit status (matched by commit) fails the checks', async () => {
    await setup({ reactions: { checksFailed: 0 } });
    const status = example('status');
    status.sha = standIn.headSha(head('C'));
    status.branches = [];
    status.state = 'failure';
    status.context = 'ci/build';
    status.description = 'Build failed';
    const outcomes = (await post('status', status)).json().outcomes as { taskId: string; to: string; reaction: string }[];
    // Every PR of this fake run has the same head commit: all of them see the failure.
    assert.ok(outcomes.some((o) => o.taskId === 'C' && o.to === 'checks_failed' && o.reaction === 'escalate'));
    assert.match((await store.getPullRequest(RUN, 'C'))?.escalation ?? '', /reacting to this is off \(pr\.reactions\.checksFailed = 0\)/);
    assert.equal((await store.getTask(RUN, 'C'))?.status, 'succeeded');
  });
});
