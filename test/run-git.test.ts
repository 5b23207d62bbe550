import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { defaultConfig } from '../src/config/config-schema.js';
import { loadRunStatus } from '../src/engine/run-status.js';
import { buildPlan } from '../src/plan/build-plan.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import { Engine } from '../src/engine/engine.js';
import { EngineEvents } from '../src/engine/events.js';
import { analyzePlan } from '../src/plan/analyze-plan.js';
import { GitWorkspace } from '../src/vcs/git-workspace.js';
import type { Workspace } from '../src/vcs/workspace.js';
import { Weft } from '../src/weft.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' }).trim();

// A scripted agent: records which files it can see and whether the last failure reached its prompt;
// B fails its first attempt, C changes nothing at first, D commits its own work.
const AGENT = `
import { readFileSync, writeFileSync, readdirSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
const id = process.env.WEFT_TASK_ID, attempt = Number(process.env.WEFT_ATTEMPT);
const prompt = readFileSync(0, 'utf8');
if (id === 'B' && attempt === 1) { console.log('BOOM-B: the widget exploded'); process.exit(1); }
if (id === 'C' && attempt === 1) process.exit(0);
mkdirSync('out', { recursive: true });
const seen = readdirSync('out').sort().join(',');
writeFileSync('out/' + id + '.txt', JSON.stringify({ seen, deps: process.env.WEFT_TASK_DEPENDS_ON, attempt,
  feedback: prompt.includes('BOOM-B'), noChangeFeedback: /made no changes/.test(prompt),
  promptFileMatches: readFileSync(process.env.WEFT_PROMPT_FILE, 'utf8') === prompt }));
if (id === 'D') {
  execFileSync('git', ['add', '-A']);
  execFileSync('git', ['-c', 'user.name=agent', '-c', 'user.email=a@a', 'commit', '-q', '-m', 'agent commit for D']);
}
console.log('done ' + id);
`;

const DOC = `# Git run

## A: Foundation
## B: Service
Depends on: A
## C: Client
Depends on: A
## D: App
Depends on: B, C
`;

test('a run in a git repository: dependents see their dependencies, failures are fed back, base untouched', { timeout: 120_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'weft-git-run-'));
  dirs.push(root);
  const repo = join(root, 'repo');
  mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'README.md'), '# repo\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'init');
  const baseSha = git(repo, 'rev-parse', 'main');
  const agentPath = join(root, 'agent.mjs');
  writeFileSync(agentPath, AGENT);

  const store = openSqliteStore(join(root, 'weft.db'));
  await store.migrate();
  const config = defaultConfig();
  config.retry = { baseMs: 10, maxMs: 50, multiplier: 2 };
  const weft = new Weft(config, store, root);
  const plan = buildPlan({ requirements: { text: DOC, file: 'R.md' } });
  const run = await weft.createRun(plan, { agent: `node ${agentPath}`, concurrency: 2, repo });
  const outcome = await weft.executeRun(run.id);
  const status = await loadRunStatus(store, run.id);
  assert.equal(outcome.run.status, 'succeeded', JSON.stringify(status.tasks.map((t) => [t.id, t.status, t.error])));

  const branch = status.run.branch!;
  assert.equal(branch, `weft/run-${run.id}`);
  const read = (id: string) => JSON.parse(git(repo, 'show', `${branch}:out/${id}.txt`)) as Record<string, unknown>;
  assert.deepEqual(git(repo, 'ls-tree', '--name-only', `${branch}`, 'out/').split('\n').sort(), ['out/A.txt', 'out/B.txt', 'out/C.txt', 'out/D.txt']);
  assert.equal(read('B').seen, 'A.txt');
  assert.equal(read('C').seen, 'A.txt');
  assert.equal(read('D').seen, 'A.txt,B.txt,C.txt');
  assert.equal(read('D').deps, 'B,C');
  assert.equal(read('B').feedback, true, "the failing attempt's output reached the retry's prompt");
  assert.equal(read('C').noChangeFeedback, true, 'the no-change failure reached the retry');
  assert.equal(read('A').promptFileMatches, true, 'prompt on stdin and in WEFT_PROMPT_FILE');
  const byId = new Map(status.tasks.map((t) => [t.id, t]));
  assert.equal(byId.get('B')!.attempts.length, 2);
  assert.match(byId.get('B')!.attempts[0]!.error ?? '', /exited with code 1/);
  assert.equal(byId.get('C')!.attempts.length, 2);
  assert.match(byId.get('C')!.attempts[0]!.error ?? '', /made no changes/);
  assert.match(git(repo, 'log', '--format=%s', branch), /agent commit for D/, "the agent's own commit is kept");

  assert.equal(git(repo, 'rev-parse', 'main'), baseSha, 'base branch untouched');
  assert.equal(git(repo, 'status', '--porcelain'), '', "user's checkout untouched");
  assert.equal(git(repo, 'branch', '--show-current'), 'main');
  const worktrees = git(repo, 'worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree '));
  assert.equal(worktrees.length, 1, `no worktree left behind: ${worktrees.join(', ')}`);
  const wtDir = (await new GitWorkspace({ repo }).info()).worktreesDir;
  assert.ok(!wtDir.includes(`${join(repo, '.git')}`), `worktrees live outside .git: ${wtDir}`);
  if (existsSync(wtDir)) assert.deepEqual(readdirSync(wtDir).flatMap((d) => readdirSync(join(wtDir, d))), []);
  await weft.close();
});

test('a crash between integrating an attempt and recording it does not apply the work twice', { timeout: 60_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'weft-git-recover-'));
  dirs.push(root);
  const repo = join(root, 'repo');
  mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'README.md'), '# repo\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'init');

  const store = openSqliteStore(join(root, 'weft.db'));
  await store.migrate();
  const plan = analyzePlan({ title: 'T', context: '', tasks: buildPlan({ requirements: { text: '# T\n\n## A: Only task\n', file: 'R.md' } }).tasks, source: 'R.md' });
  await store.createRun({ id: 'r1', title: 'T', agent: 'scripted', concurrency: 1, maxAttempts: 3, repo, createdAt: Date.now() }, plan.tasks.map((t) => ({ spec: t, tailMinutes: t.tailMinutes, phase: t.phase })));
  const real = new GitWorkspace({ repo });
  await real.prepareRun('r1', 'main');
  let runs = 0;
  let crashed = false;
  // The first integration succeeds in git and then "crashes" before the store hears of it.
  const workspace: Workspace = {
    prepareRun: (r, b) => real.prepareRun(r, b),
    prepareAttempt: (r, t, n) => real.prepareAttempt(r, t, n),
    collectChanges: (r, t, w) => real.collectChanges(r, t, w),
    verify: (w, c, sig) => real.verify(w, c, sig),
    releaseAttempt: (w, ok) => real.releaseAttempt(w, ok),
    findIntegratedAttempt: (r, t, n) => real.findIntegratedAttempt(r, t, n),
    integrate: async (r, t, w) => {
      await real.integrate(r, t, w);
      if (!crashed) {
        crashed = true;
        throw new Error('killed right after the merge');
      }
    },
  };
  const backend = {
    name: 'scripted',
    needsWorktree: true,
    run: async (req: { worktree: string | null }) => {
      runs++;
      writeFileSync(join(req.worktree!, `work-${runs}.txt`), 'x');
      return { summary: 'wrote a file' };
    },
  };
  const engine = new Engine('r1', { store, events: new EngineEvents(), backendFor: () => backend, workspace, promptFor: async () => 'prompt' }, {
    concurrency: 1, maxAttempts: 3, retry: { baseMs: 1, maxMs: 5, multiplier: 2 }, breaker: { consecutiveFailures: 100, halfOpenAfterMs: 10 },
    timeoutMs: 30_000, leaseMs: 30_000, heartbeatMs: 1000, verify: null, workerId: 'w', pollMs: 20,
  });
  const outcome = await engine.execute();
  assert.equal(outcome.run.status, 'succeeded');
  assert.equal(runs, 1, 'the agent ran once; the second attempt recognised the integrated work');
  const files = git(repo, 'ls-tree', '--name-only', 'weft/run-r1').split('\n');
  assert.deepEqual(files.filter((f) => f.startsWith('work-')), ['work-1.txt']);
  const task = (await store.listTasks('r1'))[0]!;
  assert.deepEqual((task.result as { filesChanged: string[] }).filesChanged, ['work-1.txt']);
  await store.close();
});
