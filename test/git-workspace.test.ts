import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AgentError } from '../src/agents/agent-backend.js';
import { InputError } from '../src/core/errors.js';
import type { TaskSpec } from '../src/core/task.js';
import { refSafe } from '../src/vcs/git.js';
import { GitWorkspace } from '../src/vcs/git-workspace.js';
import { verifyArgv } from '../src/vcs/run-verify.js';

const sh = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

function task(id: string, title = `Task ${id}`): TaskSpec {
  return {
    id, title, description: '', type: 'feature', typeReason: '', priority: 'medium', status: 'pending', dependsOn: [],
    estimateMinutes: 1, files: [], acceptanceCriteria: [], requirementId: id, requirementTitle: title, source: { file: 'R.md', line: 1 },
  };
}

async function makeRepo(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-git-'));
  sh(dir, 'init', '-q', '-b', 'main');
  await writeFile(join(dir, 'README.md'), 'hello\n');
  await writeFile(join(dir, 'shared.txt'), 'line\n');
  sh(dir, 'add', '.');
  sh(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init');
  return dir;
}

describe('GitWorkspace', () => {
  let repo: string;
  let ws: GitWorkspace;
  let baseSha: string;
  const dirs: string[] = [];
  before(async () => {
    repo = await makeRepo();
    dirs.push(repo);
    baseSha = sh(repo, 'rev-parse', 'main');
    // The user's own uncommitted work must survive everything weft does.
    await writeFile(join(repo, 'README.md'), 'hello, edited by the user\n');
    await writeFile(join(repo, 'notes.txt'), 'untracked\n');
    ws = await GitWorkspace.open({ repo });
  });
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('rejects a directory that is not a repository', async () => {
    const plain = await mkdtemp(join(tmpdir(), 'weft-plain-'));
    dirs.push(plain);
    await assert.rejects(GitWorkspace.open({ repo: plain }), InputError);
  });

  it('creates the integration branch from the current branch, idempotently', async () => {
    const info = await ws.prepareRun('r1');
    assert.deepEqual(info, { branch: 'weft/run-r1', baseBranch: 'main' });
    assert.equal(sh(repo, 'rev-parse', 'weft/run-r1'), baseSha);
    assert.deepEqual(await ws.prepareRun('r1'), info);
  });

  it('commits leftovers, integrates, and later attempts see earlier work', async () => {
    const a = await ws.prepareAttempt('r1', task('A', 'Add a'), 1);
    assert.equal(a.branch, 'weft/r1/A-a1');
    await writeFile(join(a.worktree, 'a.txt'), 'from A\n');
    const changes = await ws.collectChanges('r1', task('A', 'Add a'), a);
    assert.deepEqual(changes, { filesChanged: ['a.txt'], commits: ['A: Add a'] });
    await ws.integrate('r1', task('A', 'Add a'), a);
    await ws.releaseAttempt(a, true);
    assert.equal(existsSync(a.worktree), false);
    assert.ok(sh(repo, 'branch', '--list', a.branch), 'the attempt branch is kept as the record');

    const b = await ws.prepareAttempt('r1', task('B'), 1);
    assert.equal(await readFile(join(b.worktree, 'a.txt'), 'utf8'), 'from A\n');
    // The agent's own commit is accepted as it is.
    await writeFile(join(b.worktree, 'b.txt'), 'from B\n');
    sh(b.worktree, 'add', 'b.txt');
    sh(b.worktree, '-c', 'user.name=agent', '-c', 'user.email=a@a', 'commit', '-qm', 'agent commit');
    const bc = await ws.collectChanges('r1', task('B'), b);
    assert.deepEqual(bc, { filesChanged: ['b.txt'], commits: ['agent commit'] });
    await ws.integrate('r1', task('B'), b);
    await ws.releaseAttempt(b, true);
    assert.equal(sh(repo, 'show', 'weft/run-r1:b.txt'), 'from B');
    assert.match(sh(repo, 'log', '-1', '--format=%s', 'weft/run-r1'), /^Merge B: Task B$/);
  });

  it('fails an attempt that changed nothing, and keeps its worktree', async () => {
    const c = await ws.prepareAttempt('r1', task('C'), 1);
    await assert.rejects(ws.collectChanges('r1', task('C'), c), (e: unknown) => e instanceof AgentError && e.category === 'agent' && e.message === 'agent made no changes');
    await ws.releaseAttempt(c, false);
    assert.equal(existsSync(c.worktree), true);
  });

  it("never counts an agent's own state files (aider's .aider*, its .gitignore line) as work", async () => {
    const a = await ws.prepareAttempt('r1', task('AID'), 1);
    await writeFile(join(a.worktree, '.aider.chat.history.md'), '# aider chat\n');
    await writeFile(join(a.worktree, '.aider.input.history'), 'x\n');
    await writeFile(join(a.worktree, '.gitignore'), '.aider*\n');
    await assert.rejects(ws.collectChanges('r1', task('AID'), a), (e: unknown) => e instanceof AgentError && e.message === 'agent made no changes');
    // Real work next to them is committed without them.
    const b = await ws.prepareAttempt('r1', task('AID'), 2);
    await writeFile(join(b.worktree, '.aider.chat.history.md'), '# aider chat\n');
    await writeFile(join(b.worktree, 'aid.txt'), 'work\n');
    const changes = await ws.collectChanges('r1', task('AID'), b);
    assert.deepEqual(changes.filesChanged, ['aid.txt']);
    assert.equal(sh(b.worktree, 'ls-tree', '-r', '--name-only', 'HEAD').split('\n').some((f) => f.startsWith('.aider')), false);
  });

  it('reports a merge conflict with the files and leaves the integration branch as it was', async () => {
    const x = await ws.prepareAttempt('r1', task('X'), 1);
    const y = await ws.prepareAttempt('r1', task('Y'), 1);
    await writeFile(join(x.worktree, 'shared.txt'), 'X was here\n');
    await writeFile(join(y.worktree, 'shared.txt'), 'Y was here\n');
    await ws.collectChanges('r1', task('X'), x);
    await ws.collectChanges('r1', task('Y'), y);
    await ws.integrate('r1', task('X'), x);
    const tip = sh(repo, 'rev-parse', 'weft/run-r1');
    await assert.rejects(ws.integrate('r1', task('Y'), y), (e: unknown) => {
      assert.ok(e instanceof AgentError);
      assert.equal(e.category, 'conflict');
      assert.equal(e.message, 'merge conflict in: shared.txt');
      assert.deepEqual(e.data, { conflictFiles: ['shared.txt'] });
      return true;
    });
    assert.equal(sh(repo, 'rev-parse', 'weft/run-r1'), tip);
    // The retry starts from the new tip and merges cleanly.
    const y2 = await ws.prepareAttempt('r1', task('Y'), 2);
    await writeFile(join(y2.worktree, 'shared.txt'), 'X was here\nY too\n');
    await ws.collectChanges('r1', task('Y'), y2);
    await ws.integrate('r1', task('Y'), y2);
    assert.equal(sh(repo, 'show', 'weft/run-r1:shared.txt'), 'X was here\nY too');
  });

  it('recreates a stale worktree for the same attempt after a crash', async () => {
    const s1 = await ws.prepareAttempt('r1', task('S'), 1);
    await writeFile(join(s1.worktree, 'half.txt'), 'half done\n');
    const s2 = await ws.prepareAttempt('r1', task('S'), 1);
    assert.equal(s2.worktree, s1.worktree);
    assert.equal(existsSync(join(s2.worktree, 'half.txt')), false);
  });

  it('runs the verify command and reports a failure with the output tail', async () => {
    const v = await ws.prepareAttempt('r1', task('V'), 1);
    assert.equal((await ws.verify(v, 'git status --short', new AbortController().signal)).passed, true);
    const failed = await ws.verify(v, 'echo broken-test-output && exit 3', new AbortController().signal);
    assert.equal(failed.passed, false);
    assert.equal(failed.exitCode, 3);
    assert.equal(failed.message, 'verify failed: echo broken-test-output && exit 3 exited 3');
    assert.match(failed.output, /broken-test-output/);
    assert.deepEqual(verifyArgv('npm test -- --grep "a b"'), ['npm', 'test', '--', '--grep', 'a b']);
    assert.deepEqual(verifyArgv('npm test | tee out'), ['sh', '-c', 'npm test | tee out']);
  });

  it('never touches the base branch or the user checkout', () => {
    assert.equal(sh(repo, 'rev-parse', 'main'), baseSha);
    assert.equal(sh(repo, 'symbolic-ref', '--short', 'HEAD'), 'main');
    // sh() trims, so the first line loses its leading space.
    assert.equal(sh(repo, 'status', '--porcelain'), 'M README.md\n?? notes.txt');
  });

  it('cleans every kept worktree', async () => {
    const removed = await ws.cleanAll('r1');
    assert.ok(removed.length >= 3);
    assert.equal(sh(repo, 'worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree ')).length, 1);
  });

  it('merges into the base only on request, refusing while the checkout is dirty', async () => {
    await assert.rejects(ws.mergeIntoBase('r1'), (e: unknown) => e instanceof InputError && /uncommitted changes/.test(e.message));
    assert.equal(sh(repo, 'rev-parse', 'main'), baseSha);
    sh(repo, 'checkout', '-q', 'README.md');
    const res = await ws.mergeIntoBase('r1');
    assert.equal(res.fastForward, true);
    assert.equal(sh(repo, 'rev-parse', 'main'), sh(repo, 'rev-parse', 'weft/run-r1'));
    assert.equal(await readFile(join(repo, 'b.txt'), 'utf8'), 'from B\n');
  });

  it('commits with a fallback identity when none is configured, and resumes in a new process', async () => {
    const bare = await makeRepo();
    dirs.push(bare);
    const saved = { global: process.env.GIT_CONFIG_GLOBAL, nosystem: process.env.GIT_CONFIG_NOSYSTEM };
    process.env.GIT_CONFIG_GLOBAL = '/dev/null';
    process.env.GIT_CONFIG_NOSYSTEM = '1';
    try {
      const first = await GitWorkspace.open({ repo: bare });
      await first.prepareRun('r2');
      const a = await first.prepareAttempt('r2', task('A'), 1);
      await writeFile(join(a.worktree, 'a.txt'), 'a\n');
      // A new object (weft restarted) picks up the same worktree and integration branch.
      const second = await GitWorkspace.open({ repo: bare });
      assert.deepEqual(await second.prepareRun('r2'), { branch: 'weft/run-r2', baseBranch: 'main' });
      assert.deepEqual(await second.collectChanges('r2', task('A'), a), { filesChanged: ['a.txt'], commits: ['A: Task A'] });
      await second.integrate('r2', task('A'), a);
      assert.equal(sh(bare, 'log', '-1', '--format=%an <%ae>', 'weft/run-r2'), 'weft <weft@localhost>');
    } finally {
      for (const [k, v] of [['GIT_CONFIG_GLOBAL', saved.global], ['GIT_CONFIG_NOSYSTEM', saved.nosystem]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('keeps worktrees outside .git, and resumes a run whose integration worktree is still in the old place', async () => {
    const { worktreesDir } = await ws.info();
    assert.ok(!worktreesDir.startsWith(join(repo, '.git')), worktreesDir);
    // A run started by an older weft: its integration branch is checked out under .git/weft-worktrees.
    await ws.prepareRun('old');
    const legacy = join(repo, '.git', 'weft-worktrees', 'old-integration');
    sh(repo, 'worktree', 'add', '--quiet', legacy, 'weft/run-old');
    const a = await ws.prepareAttempt('old', task('A'), 1);
    assert.ok(a.worktree.startsWith(worktreesDir), a.worktree);
    await writeFile(join(a.worktree, 'old.txt'), 'resumed\n');
    await ws.collectChanges('old', task('A'), a);
    await ws.integrate('old', task('A'), a);
    await ws.releaseAttempt(a, true);
    assert.equal(sh(repo, 'show', 'weft/run-old:old.txt'), 'resumed');
    await ws.finishRun('old');
    assert.equal(existsSync(legacy), false, 'the old integration worktree is gone');
    assert.ok(!sh(repo, 'worktree', 'list').includes('weft-worktrees'));
  });

  it('sanitizes ids for ref names', () => {
    assert.equal(refSafe('API-1.2'), 'API-1.2');
    assert.equal(refSafe('../a b:c~^'), 'a-b-c');
    assert.equal(refSafe('x.lock'), 'x-lock');
  });
});
