// The pure parts of pull request tracking: remote parsing, the state machine, webhook normalization and reactions.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { parseGithubRemote, parseRepoSlug } from '../src/forge/github-forge.js';
import { parseAge } from '../src/forge/pr-maintenance.js';
import { prNumberFromUrl, taskBranchName } from '../src/forge/pr-publisher.js';
import { aggregateChecks, applyUpdate, deriveState, normalizeWebhook, reviewVerdict } from '../src/forge/pr-state.js';
import { decideReaction, type ReactionContext } from '../src/forge/reactions.js';
import { InputError } from '../src/core/errors.js';
import type { PrCheck, PullRequestRecord } from '../src/store/pr-records.js';

const require = createRequire(import.meta.url);
const EXAMPLES = require('@octokit/webhooks-examples') as { name: string; examples: Record<string, unknown>[] }[];
type Payload = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const example = (name: string, pick: (p: Payload) => boolean = () => true) => structuredClone(EXAMPLES.find((e) => e.name === name)!.examples.find((p) => pick(p as Payload))) as Payload;

function pr(extra: Partial<PullRequestRecord> = {}): PullRequestRecord {
  return {
    runId: 'r', taskId: 'A', repo: 'o/r', number: 5, url: 'https://github.com/o/r/pull/5', head: 'weft/r/A', base: 'weft/run-r', headSha: 'aaa', state: 'open', draft: false,
    checks: {}, review: null, mergeable: null, reactions: { checks_failed: 0, changes_requested: 0, conflict: 0 }, lastReaction: null, escalation: null,
    createdAt: 1, updatedAt: 1, mergedAt: null, closedAt: null, branchDeletedAt: null, ...extra,
  };
}
const check = (conclusion: string | null): PrCheck => ({ status: conclusion === null ? 'in_progress' : 'completed', conclusion, summary: null, url: null });
const ctx = (extra: Partial<ReactionContext> = {}): ReactionContext => ({ caps: { checksFailed: 2, changesRequested: 2, conflict: 1 }, autoMerge: false, taskStatus: 'succeeded', ...extra });

describe('GitHub remotes', () => {
  it('reads owner and name from https and ssh remote URLs', () => {
    for (const url of ['https://github.com/acme/shop', 'https://github.com/acme/shop.git', 'https://x-access-token:abc@github.com/acme/shop.git', 'git@github.com:acme/shop.git', 'git@github.com:acme/shop', 'ssh://git@github.com/acme/shop.git', 'ssh://git@github.com:22/acme/shop']) {
      const got = parseGithubRemote(url);
      assert.deepEqual(got && { owner: got.owner, name: got.name, host: got.host }, { owner: 'acme', name: 'shop', host: 'github.com' }, url);
    }
    assert.equal(parseGithubRemote('https://ghe.corp.example/team/app.git')?.host, 'ghe.corp.example');
    assert.equal(parseGithubRemote('/tmp/remote.git'), null);
    assert.equal(parseGithubRemote('file:///tmp/remote.git'), null);
    assert.deepEqual(parseRepoSlug('acme/shop'), { owner: 'acme', name: 'shop' });
    assert.throws(() => parseRepoSlug('acme'), InputError);
    assert.throws(() => parseRepoSlug('a/b/c'), /OWNER\/NAME/);
  });

  it('names branches and reads PR numbers from URLs', () => {
    assert.equal(taskBranchName('weft/', 'run1', 'CAT-1.2'), 'weft/run1/CAT-1.2');
    assert.equal(taskBranchName('bot/', 'r', 'a b'), 'bot/r/a-b');
    assert.equal(prNumberFromUrl('https://github.com/o/r/pull/123'), 123);
    assert.equal(prNumberFromUrl('https://github.com/o/r/pull/123/files'), 123);
    assert.equal(prNumberFromUrl('https://example.com/x'), null);
    assert.equal(parseAge('30d'), 30 * 86_400_000);
    assert.equal(parseAge('12h'), 12 * 3_600_000);
    assert.equal(parseAge('7'), 7 * 86_400_000);
    assert.throws(() => parseAge('soon'), InputError);
  });
});

describe('PR state', () => {
  it('derives one state: merged/closed first, requested changes over failing checks over approval', () => {
    const base = { checks: {}, review: null, merged: false, closed: false } as const;
    assert.equal(deriveState(base), 'open');
    assert.equal(deriveState({ ...base, merged: true, review: 'changes_requested' }), 'merged');
    assert.equal(deriveState({ ...base, closed: true }), 'closed');
    assert.equal(deriveState({ ...base, checks: { a: check(null) } }), 'checks_pending');
    assert.equal(deriveState({ ...base, checks: { a: check('success'), b: check('skipped') } }), 'checks_passed');
    assert.equal(deriveState({ ...base, checks: { a: check('success'), b: check('timed_out') } }), 'checks_failed');
    assert.equal(deriveState({ ...base, checks: { a: check('failure') }, review: 'approved' }), 'checks_failed');
    assert.equal(deriveState({ ...base, checks: { a: check('failure') }, review: 'changes_requested' }), 'changes_requested');
    assert.equal(deriveState({ ...base, checks: { a: check('success') }, review: 'approved' }), 'approved');
    assert.equal(deriveState({ ...base, review: 'approved' }), 'approved');
    assert.equal(deriveState({ ...base, checks: { a: check(null) }, review: 'approved' }), 'checks_pending');
    assert.equal(aggregateChecks({}), 'none');
  });

  it("takes each reviewer's latest verdict", () => {
    const r = (id: number, user: string, state: string) => ({ id, user, state, body: '', submittedAt: id });
    assert.equal(reviewVerdict([r(1, 'a', 'CHANGES_REQUESTED'), r(2, 'a', 'APPROVED')]), 'approved');
    assert.equal(reviewVerdict([r(1, 'a', 'APPROVED'), r(2, 'b', 'CHANGES_REQUESTED')]), 'changes_requested');
    assert.equal(reviewVerdict([r(1, 'a', 'CHANGES_REQUESTED'), r(2, 'a', 'DISMISSED'), r(3, 'b', 'COMMENTED')]), null);
  });

  it("normalizes GitHub's example payloads", () => {
    const closed = example('pull_request', (p) => p.action === 'closed');
    closed.pull_request.merged = true;
    const e = normalizeWebhook('pull_request', closed)!;
    assert.deepEqual(e.targets, [{ repo: 'Codertocat/Hello-World', number: 2, head: 'changes', sha: closed.pull_request.head.sha }]);
    assert.equal(e.update.kind === 'pull_request' && e.update.merged, true);
    const suite = normalizeWebhook('check_suite', example('check_suite', (p) => p.action === 'completed'))!;
    assert.equal(suite.targets[0]?.number, 2);
    assert.equal(suite.update.kind === 'check' && suite.update.check.conclusion, 'success');
    const run = normalizeWebhook('check_run', example('check_run', (p) => p.check_run.conclusion === 'failure'))!;
    assert.equal(run.update.kind === 'check' && run.update.name, 'Octocoders-linter');
    const status = normalizeWebhook('status', example('status'))!;
    assert.ok(status.targets.some((t) => t.head === 'changes'));
    const review = normalizeWebhook('pull_request_review', example('pull_request_review', (p) => p.action === 'dismissed'))!;
    assert.equal(review.update.kind === 'review' && review.update.state, 'dismissed');
    assert.equal(normalizeWebhook('issues', {}), null);
    assert.equal(normalizeWebhook('pull_request', { action: 'opened' }), null);
  });

  it('applies updates: a new commit voids old checks; a merged PR stays merged', () => {
    let p = applyUpdate(pr(), { kind: 'check', name: 'ci', headSha: 'aaa', check: check('failure') }, 10);
    assert.equal(p.state, 'checks_failed');
    const sync = { kind: 'pull_request' as const, action: 'synchronize', number: 5, head: 'weft/r/A', base: 'weft/run-r', headSha: 'bbb', merged: false, closed: false, draft: false, mergeable: null, at: null };
    p = applyUpdate(p, sync, 11);
    assert.equal(p.state, 'open');
    assert.equal(p.headSha, 'bbb');
    p = applyUpdate(p, { ...sync, action: 'closed', merged: true, closed: true, at: 50 }, 12);
    assert.equal(p.state, 'merged');
    assert.equal(p.mergedAt, 50);
    p = applyUpdate(p, { kind: 'check', name: 'ci', headSha: 'bbb', check: check('failure') }, 13);
    assert.equal(p.state, 'merged');
  });
});

describe('reactions', () => {
  it('retries failing checks until the cap, then escalates once', () => {
    const failing = pr({ state: 'checks_failed', checks: { ci: check('failure') } });
    const r1 = decideReaction(pr(), failing, ctx());
    assert.deepEqual(r1, { kind: 'retry', reason: 'checks_failed', key: 'checks_failed:aaa', attempt: 1, cap: 2 });
    assert.equal(decideReaction(pr(), { ...failing, lastReaction: 'checks_failed:aaa' }, ctx()).kind, 'none', 'once per commit');
    const capped = { ...failing, headSha: 'ccc', reactions: { checks_failed: 2, changes_requested: 0, conflict: 0 } };
    const esc = decideReaction(pr(), capped, ctx());
    assert.equal(esc.kind, 'escalate');
    assert.match(esc.kind === 'escalate' ? esc.message : '', /Needs a human: checks are failing on #5 \(task A\) and weft already made 2 new attempts \(pr\.reactions\.checksFailed = 2\)/);
    assert.equal(decideReaction(pr(), { ...capped, lastReaction: esc.kind === 'escalate' ? esc.key : '' }, ctx()).kind, 'none');
    assert.equal(decideReaction(pr(), failing, ctx({ caps: { checksFailed: 0, changesRequested: 2, conflict: 1 } })).kind, 'escalate', 'cap 0: ask at once');
    assert.equal(decideReaction(pr(), failing, ctx({ taskStatus: 'running' })).kind, 'none', 'a running fix attempt is not disturbed');
    assert.equal(decideReaction(pr(), failing, ctx({ taskStatus: null })).kind, 'none', 'the run PR has no task to retry');
  });

  it('changes requested react once per review; conflicts ask for a rebase', () => {
    const changes = pr({ state: 'changes_requested', review: 'changes_requested' });
    const r = decideReaction(pr(), changes, ctx({ reviewId: 77 }));
    assert.equal(r.kind === 'retry' && r.key, 'changes_requested:77');
    const conflict = decideReaction(pr(), pr({ mergeable: false }), ctx());
    assert.equal(conflict.kind === 'retry' && conflict.reason, 'conflict');
    const conflictCapped = decideReaction(pr(), pr({ mergeable: false, reactions: { checks_failed: 0, changes_requested: 0, conflict: 1 } }), ctx());
    assert.equal(conflictCapped.kind === 'escalate' && conflictCapped.reason, 'conflict');
  });

  it('merged, closed and auto-merge', () => {
    assert.equal(decideReaction(pr(), pr({ state: 'merged' }), ctx()).kind, 'merged');
    assert.equal(decideReaction(pr({ state: 'merged', lastReaction: 'merged' }), pr({ state: 'merged', lastReaction: 'merged' }), ctx()).kind, 'none');
    assert.equal(decideReaction(pr(), pr({ state: 'closed' }), ctx()).kind, 'closed');
    const approved = pr({ state: 'approved', review: 'approved', checks: { ci: check('success') } });
    assert.equal(decideReaction(pr(), approved, ctx()).kind, 'none', 'auto-merge is off by default');
    assert.equal(decideReaction(pr(), approved, ctx({ autoMerge: true })).kind, 'merge');
    assert.equal(decideReaction(pr(), { ...approved, draft: true }, ctx({ autoMerge: true })).kind, 'none', 'drafts are not merged');
    assert.equal(decideReaction(pr(), { ...approved, lastReaction: 'merge:aaa' }, ctx({ autoMerge: true })).kind, 'none');
  });
});
