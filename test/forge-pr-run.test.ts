// `weft run --pr` end to end: a git repository with a bare repository as `origin`, a scripted command
// agent, and the GitHub stand-in. One PR per task, no duplicates on re-runs, webhooks and polling driving
// reactions (a fix attempt on the same branch, merges releasing dependents, closing cancelling).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { weftConfigSchema } from '../src/config/config-schema.js';
import { loadRunStatus } from '../src/engine/run-status.js';
import { sleep } from '../src/engine/simulate-agent.js';
import { cleanupPullRequests } from '../src/forge/pr-maintenance.js';
import { PrTracker } from '../src/forge/pr-tracker.js';
import { buildPlan } from '../src/plan/build-plan.js';
import { registerGithubWebhook } from '../src/server/routes/github-webhook.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { Weft } from '../src/weft.js';
import { startGithubStandIn, type StandIn } from './github-stand-in.js';
import { InputError } from '../src/core/errors.js';

const require = createRequire(import.meta.url);
const EXAMPLES = require('@octokit/webhooks-examples') as { name: string; examples: Record<string, unknown>[] }[];
type Payload = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const example = (name: string, pick: (p: Payload) => boolean) => structuredClone(EXAMPLES.find((e) => e.name === name)!.examples.find((p) => pick(p as Payload))) as Payload;

const TOKEN = 'ghp_e2e_token';
const SECRET = 'e2e-secret';
const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' }).trim();

// Writes out/<id>.txt; notes whether a PR reaction's feedback reached its prompt.
const AGENT = `
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
const id = process.env.WEFT_TASK_ID, attempt = Number(process.env.WEFT_ATTEMPT);
const prompt = readFileSync(0, 'utf8');
mkdirSync('out', { recursive: true });
writeFileSync('out/' + id + '.txt', JSON.stringify({ id, attempt, checksFeedback: /checks failed/.test(prompt), linter: prompt.includes('Octocoders-linter') }) + '\\n');
console.log('done ' + id);
`;

const DOC = `# Shop

## A: Catalog
Type: feature
Priority: high

Products with a SKU and a price.

### Acceptance criteria
- An unknown SKU answers 404

## B: Catalog docs
Type: docs
Depends on: A

Document the catalog endpoints.

## C: Cart
Depends on: A

A cart of line items.
`;

interface Fixture {
  root: string;
  repo: string;
  bare: string;
  store: Store;
  weft: Weft;
}

describe('weft run --pr', () => {
  let standIn: StandIn;
  const roots: string[] = [];

  before(async () => {
    process.env.GITHUB_TOKEN = TOKEN;
  });
  after(async () => {
    delete process.env.GITHUB_TOKEN;
    delete process.env.GITHUB_API_URL;
    delete process.env.WEFT_WEBHOOK_SECRET;
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });

  async function fixture(pr: Record<string, unknown> = {}, opts: { githubUrl?: boolean } = {}): Promise<Fixture> {
    const root = mkdtempSync(join(tmpdir(), 'weft-pr-run-'));
    roots.push(root);
    const repo = join(root, 'repo');
    const bare = join(root, 'origin.git');
    mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'README.md'), '# shop\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'init');
    git(root, 'init', '-q', '--bare', '-b', 'main', bare);
    git(repo, 'remote', 'add', 'origin', bare);
    git(repo, 'push', '-q', 'origin', 'main');
    if (opts.githubUrl) {
      // The usual shape: a GitHub URL (the repository is read from it); pushes go to the bare repository.
      git(repo, 'remote', 'set-url', 'origin', 'https://github.com/acme/shop.git');
      git(repo, 'remote', 'set-url', '--push', 'origin', bare);
    }
    writeFileSync(join(root, 'agent.mjs'), AGENT);
    standIn = await startGithubStandIn({ token: TOKEN, bareRepo: bare });
    process.env.GITHUB_API_URL = standIn.url;
    const store = openSqliteStore(join(root, 'weft.db'));
    await store.migrate();
    const config = weftConfigSchema.parse({
      agents: { fake: { command: [process.execPath, join(root, 'agent.mjs')] } },
      pr: { reviewers: ['alice'], assignees: ['bob'], labels: ['weft', 'bot'], signOff: true, pollSeconds: 0, ...pr },
    });
    config.retry = { baseMs: 10, maxMs: 50, multiplier: 2 };
    return { root, repo, bare, store, weft: new Weft(config, store, root) };
  }

  async function startRun(f: Fixture, githubRepo: string | null = `${standIn.owner}/${standIn.repo}`) {
    const plan = buildPlan({ requirements: { text: DOC, file: 'REQUIREMENTS.md' } });
    return f.weft.createRun(plan, { agent: 'fake', concurrency: 2, repo: f.repo, pr: { enabled: true, githubRepo } });
  }

  it('opens one PR per task into the integration branch, with labels and body; re-runs open no duplicates', { timeout: 120_000 }, async () => {
    const f = await fixture();
    try {
      const run = await startRun(f);
      const outcome = await f.weft.executeRun(run.id);
      assert.equal(outcome.run.status, 'succeeded');
      const integration = `weft/run-${run.id}`;
      const pulls = [...standIn.pulls.values()];
      assert.equal(pulls.length, 3, 'one PR per task, no final PR before anything merged');
      const byTask = new Map(pulls.map((p) => [p.head.split('/').at(-1)!, p]));
      assert.deepEqual([...byTask.keys()].sort(), ['A', 'B', 'C']);
      for (const [id, p] of byTask) {
        assert.equal(p.head, `weft/${run.id}/${id}`);
        assert.equal(p.base, integration);
        assert.equal(p.state, 'open');
        assert.deepEqual(p.reviewers, ['alice']);
        assert.deepEqual(p.assignees, ['bob']);
        // The branch on the remote is what the PR shows.
        assert.equal(git(f.bare, 'rev-parse', `refs/heads/${p.head}`), git(f.repo, 'rev-parse', `refs/heads/weft/${run.id}/${id}-a1`));
        assert.match(git(f.bare, 'show', `${p.head}:out/${id}.txt`), new RegExp(`"id":"${id}"`));
      }
      assert.deepEqual(byTask.get('A')!.labels.sort(), ['bot', 'feature', 'weft']);
      assert.deepEqual(byTask.get('B')!.labels.sort(), ['bot', 'docs', 'weft']);
      const a = byTask.get('A')!;
      assert.equal(a.title, 'Catalog (A)');
      assert.match(a.body, /Products with a SKU and a price\./);
      assert.match(a.body, /### Acceptance criteria\n\n- \[ \] An unknown SKU answers 404/);
      assert.match(a.body, /attempt 1: succeeded/);
      assert.match(a.body, /<!-- weft:run=\S+ task=A -->/);
      // A dependent's PR links its dependency's PR.
      assert.match(byTask.get('B')!.body, new RegExp(`### Depends on\\n\\n- \`A\` Catalog — https://github.example/acme/shop/pull/${a.number} \\(open\\)`));
      // The integration branch exists on the remote at the base: it moves only when task PRs merge.
      assert.equal(git(f.bare, 'rev-parse', `refs/heads/${integration}`), git(f.repo, 'rev-parse', 'main'));
      // Commits weft made for the agent use the template and are signed off.
      const message = git(f.repo, 'log', '-1', '--format=%B', `weft/${run.id}/A-a1`);
      assert.match(message, /^A: Catalog\n\n- An unknown SKU answers 404\n\nSigned-off-by: /);

      const status = await loadRunStatus(f.store, run.id);
      for (const t of status.tasks) {
        const p = byTask.get(t.id)!;
        assert.deepEqual(t.pr, { url: `https://github.example/acme/shop/pull/${p.number}`, number: p.number, state: 'open' });
        assert.equal(t.prUrl, t.pr?.url);
      }
      assert.ok(standIn.requests.every((r) => r.auth === `token ${TOKEN}`));
      assert.doesNotMatch(JSON.stringify(status), new RegExp(TOKEN));

      // Executing the finished run again, and a task's new attempt, find the PRs already there.
      await f.weft.executeRun(run.id, { resumed: true });
      assert.ok(await f.store.reopenTask(run.id, 'A', { category: 'checks_failed', message: 'again' }, Date.now()));
      const before = standIn.headSha(a.head);
      const again = await f.weft.executeRun(run.id, { resumed: true });
      assert.equal(again.run.status, 'succeeded');
      assert.equal(standIn.pulls.size, 3, 'no second PR for the same branch');
      assert.notEqual(standIn.headSha(a.head), before, 'the new attempt was pushed to the same branch');
      assert.match(git(f.bare, 'show', `${a.head}:out/A.txt`), /"attempt":3/);
      assert.match(standIn.pulls.get(a.number)!.body, /attempt 2: failed — again/);
      assert.equal((await f.store.listPullRequests({ runId: run.id })).length, 3);
      assert.equal(standIn.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/pulls')).length, 3);
    } finally {
      await f.weft.close();
      await standIn.close();
    }
  });

  it('webhooks: failed checks give the task a fix attempt on its branch; merges open the final PR; closing cancels', { timeout: 120_000 }, async () => {
    const f = await fixture();
    const app = Fastify();
    try {
      const run = await startRun(f);
      assert.equal((await f.weft.executeRun(run.id)).run.status, 'succeeded');
      const prA = (await f.store.getPullRequest(run.id, 'A'))!;
      process.env.WEFT_WEBHOOK_SECRET = SECRET;
      await registerGithubWebhook(app, { weft: f.weft });
      await app.ready();
      const post = (event: string, payload: Payload) => {
        const body = JSON.stringify(payload);
        return app.inject({
          method: 'POST',
          url: '/api/v1/webhooks/github',
          headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` },
          payload: body,
        });
      };

      // check_run completed with failure on A's head commit.
      const failing = example('check_run', (p) => p.action === 'completed' && p.check_run.conclusion === 'failure');
      failing.check_run.head_sha = prA.headSha;
      failing.check_run.check_suite.head_branch = prA.head;
      failing.check_run.pull_requests[0].number = prA.number;
      failing.check_run.pull_requests[0].head.ref = prA.head;
      failing.check_run.output = { title: 'Lint', summary: 'src/catalog.ts: missing semicolon', text: null };
      const res = await post('check_run', failing);
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().outcomes[0].reaction, 'retry');
      // The route resumes the run in the background; wait for the fix attempt to finish.
      for (let i = 0; i < 400; i++) {
        const t = await f.store.getTask(run.id, 'A');
        if (t?.status === 'succeeded' && t.attemptCount === 3 && (await f.store.getRun(run.id))?.status === 'succeeded') break;
        await sleep(50);
      }
      const a = await f.store.getTask(run.id, 'A');
      assert.equal(a?.status, 'succeeded');
      assert.equal(a?.attemptCount, 3, 'attempt 1, the checks feedback (2), the fix (3)');
      const fix = JSON.parse(git(f.bare, 'show', `${prA.head}:out/A.txt`)) as { attempt: number; checksFeedback: boolean; linter: boolean };
      assert.deepEqual(fix, { id: 'A', attempt: 3, checksFeedback: true, linter: true } as unknown as typeof fix);
      // Same PR, new commit on the same branch: it continues from the PR's commit.
      assert.equal(standIn.pulls.size, 3);
      const after = (await f.store.getPullRequest(run.id, 'A'))!;
      assert.notEqual(after.headSha, prA.headSha);
      assert.equal(git(f.bare, 'merge-base', '--is-ancestor', prA.headSha!, after.headSha!), '');
      assert.equal(after.state, 'open', 'a new commit: the failed checks no longer apply');

      // A human merges A's PR on GitHub (the stand-in moves the integration branch like GitHub would).
      git(f.repo, 'push', '-q', 'origin', `${after.headSha}:refs/heads/weft/run-${run.id}`);
      const merged = example('pull_request', (p) => p.action === 'closed');
      merged.number = merged.pull_request.number = prA.number;
      merged.pull_request.head.ref = prA.head;
      merged.pull_request.merged = true;
      const m = (await post('pull_request', merged)).json().outcomes[0];
      assert.equal(m.to, 'merged');
      assert.equal((await f.store.getPullRequest(run.id, 'A'))?.state, 'merged');
      // Something merged into the integration branch: the final PR into the base is open now.
      const finalPr = [...standIn.pulls.values()].find((p) => p.head === `weft/run-${run.id}`);
      assert.ok(finalPr, 'final PR opened');
      assert.equal(finalPr.base, 'main');
      assert.match(finalPr.body, /`A` Catalog — https:\/\/github\.example\/acme\/shop\/pull\/\d+ \(merged\)/);

      // C's PR is closed without merging: C is cancelled.
      const prC = (await f.store.getPullRequest(run.id, 'C'))!;
      const closed = example('pull_request', (p) => p.action === 'closed');
      closed.number = closed.pull_request.number = prC.number;
      closed.pull_request.head.ref = prC.head;
      assert.equal((await post('pull_request', closed)).json().outcomes[0].reaction, 'closed');
      assert.equal((await f.store.getTask(run.id, 'C'))?.status, 'cancelled');
      const stats = await f.store.pullRequestStats(run.id);
      assert.equal(stats.byState.merged, 1);
      assert.equal(stats.byState.closed, 1);
      assert.equal(stats.successRate, 0.5);

      // Cleanup deletes the merged task branch on the remote, once.
      const cleaned = await cleanupPullRequests(f.weft, { olderThanMs: 365 * 86_400_000 });
      assert.deepEqual(cleaned.branchesDeleted, [prA.head]);
      assert.equal(git(f.bare, 'branch', '--list', prA.head), '');
      assert.deepEqual((await cleanupPullRequests(f.weft, { olderThanMs: 0, now: Date.now() + 1000 })).branchesDeleted, []);
      assert.equal((await f.store.listPullRequests({ runId: run.id, state: 'merged' })).length, 0, 'old finished records forgotten');
    } finally {
      await app.close();
      await f.weft.close();
      await standIn.close();
    }
  });

  it('waitForMerge: dependents start only after the PR merged (seen by the in-run poller)', { timeout: 120_000 }, async () => {
    const f = await fixture({ waitForMerge: true, pollSeconds: 1 }, { githubUrl: true });
    try {
      const run = await startRun(f, null);
      const execution = f.weft.executeRun(run.id);
      let prA: number | undefined;
      for (let i = 0; i < 400 && prA === undefined; i++) {
        prA = [...standIn.pulls.values()].find((p) => p.head.endsWith('/A'))?.number;
        await sleep(50);
      }
      assert.ok(prA !== undefined, "A's PR opened");
      // Waits for A's record to say "waiting for the merge" (no fixed sleep: the machine may be loaded).
      for (let i = 0; i < 400 && (await f.store.getTask(run.id, 'A'))?.status !== 'succeeded'; i++) await sleep(50);
      assert.deepEqual(await f.store.listMergeWaits(run.id), ['A']);
      assert.equal((await f.store.getTask(run.id, 'B'))?.status, 'pending', 'B waits for the merge');
      // Merged on GitHub; the run's poller notices it.
      const p = standIn.pulls.get(prA)!;
      p.state = 'closed';
      p.merged = true;
      p.mergedAt = p.closedAt = new Date().toISOString();
      const outcome = await execution;
      assert.equal(outcome.run.status, 'succeeded');
      assert.equal((await f.store.getPullRequest(run.id, 'A'))?.state, 'merged');
      assert.equal(standIn.pulls.size, 3);
      // B and C still wait for their own merges, which the run does not need to see finish.
      assert.deepEqual((await f.store.listMergeWaits(run.id)).sort(), ['B', 'C']);
    } finally {
      await f.weft.close();
      await standIn.close();
    }
  });

  it('merge conflict: a rebase attempt merges the PR base into its branch and the agent resolves it', { timeout: 120_000 }, async () => {
    const f = await fixture();
    try {
      const run = await startRun(f);
      assert.equal((await f.weft.executeRun(run.id)).run.status, 'succeeded');
      const prA = (await f.store.getPullRequest(run.id, 'A'))!;
      // Someone else's change to the same file lands in the integration branch on GitHub.
      const other = join(f.root, 'other');
      git(f.root, 'clone', '-q', '-b', `weft/run-${run.id}`, f.bare, other);
      mkdirSync(join(other, 'out'), { recursive: true });
      writeFileSync(join(other, 'out', 'A.txt'), 'a different A\n');
      git(other, 'add', '-A');
      git(other, 'commit', '-q', '-m', 'conflicting change');
      git(other, 'push', '-q', 'origin', `weft/run-${run.id}`);
      const conflicting = git(other, 'rev-parse', 'HEAD');

      const event = example('pull_request', (p) => p.action === 'synchronize');
      event.number = event.pull_request.number = prA.number;
      event.pull_request.head.ref = prA.head;
      event.pull_request.head.sha = prA.headSha;
      event.pull_request.mergeable = false;
      event.pull_request.mergeable_state = 'dirty';
      const tracker = new PrTracker({ store: f.store, config: f.weft.config });
      const [outcome] = await tracker.handleWebhook('pull_request', event);
      assert.equal(outcome?.reaction, 'retry');
      assert.match(outcome?.detail ?? '', /^conflict: new attempt 1 of 2/);
      assert.equal((await f.store.listAttempts(run.id, 'A')).at(-1)?.errorCategory, 'conflict');

      assert.equal((await f.weft.executeRun(run.id, { resumed: true })).run.status, 'succeeded');
      const head = git(f.bare, 'rev-parse', `refs/heads/${prA.head}`);
      assert.equal(git(f.bare, 'merge-base', '--is-ancestor', conflicting, head), '', 'the base was merged into the PR branch');
      assert.equal(git(f.bare, 'merge-base', '--is-ancestor', prA.headSha!, head), '', 'on top of the PR branch');
      assert.match(git(f.bare, 'show', `${head}:out/A.txt`), /"attempt":3/, "the agent's resolution");
      assert.equal([...standIn.pulls.values()].filter((p) => p.head !== `weft/run-${run.id}`).length, 3, 'still one PR per task');
      // The integration branch on GitHub has a commit now, so the run's final PR exists.
      assert.equal([...standIn.pulls.values()].find((p) => p.head === `weft/run-${run.id}`)?.base, 'main');
    } finally {
      await f.weft.close();
      await standIn.close();
    }
  });

  it('refuses --pr without a token or a GitHub repository, storing nothing', async () => {
    const f = await fixture();
    try {
      const plan = buildPlan({ requirements: { text: DOC, file: 'REQUIREMENTS.md' } });
      // The remote is a local path: no GitHub repository can be read from it.
      await assert.rejects(f.weft.createRun(plan, { agent: 'fake', repo: f.repo, pr: { enabled: true } }), /pass --github-repo OWNER\/NAME/);
      await assert.rejects(f.weft.createRun(plan, { agent: 'fake', repo: f.repo, pr: { enabled: true, remote: 'upstream' } }), /git remote "upstream" does not exist/);
      delete process.env.GITHUB_TOKEN;
      await assert.rejects(f.weft.createRun(plan, { agent: 'fake', repo: f.repo, pr: { enabled: true, githubRepo: 'acme/shop' } }), (err: unknown) => err instanceof InputError && /GITHUB_TOKEN/.test(err.message));
      process.env.GITHUB_TOKEN = TOKEN;
      assert.deepEqual(await f.store.listRuns(), []);
      // The tracker of a run without PRs does nothing.
      assert.deepEqual(await new PrTracker({ store: f.store, config: f.weft.config }).poll(), []);
    } finally {
      await f.weft.close();
      await standIn.close();
    }
  });
});
