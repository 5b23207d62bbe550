/** Git fenced by the store: the integration branch moves only by compare-and-swap, after the fence; worktrees of later attempts are never removed. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TaskSpec } from '../src/core/task.js';
import { withFileLock } from '../src/vcs/file-lock.js';
import { GitWorkspace } from '../src/vcs/git-workspace.js';
import { LeaseLostError } from '../src/vcs/workspace.js';

const sh = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
const commit = (cwd: string, msg: string) => sh(cwd, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', msg);

function task(id: string): TaskSpec {
  return {
    id, title: `Task ${id}`, description: '', type: 'feature', typeReason: '', priority: 'medium', status: 'pending', dependsOn: [],
    estimateMinutes: 1, files: [], acceptanceCriteria: [], requirementId: id, requirementTitle: id, source: { file: 'R.md', line: 1 },
  };
}

describe('fenced integration', () => {
  let repo: string;
  let worktrees: string;
  let ws: GitWorkspace;
  before(async () => {
    repo = await mkdtemp(join(tmpdir(), 'weft-fence-'));
    worktrees = await mkdtemp(join(tmpdir(), 'weft-fence-wt-'));
    sh(repo, 'init', '-q', '-b', 'main');
    await writeFile(join(repo, 'README.md'), 'hello\n');
    sh(repo, 'add', '.');
    commit(repo, 'init');
    ws = await GitWorkspace.open({ repo, worktreesDir: worktrees });
    await ws.prepareRun('r1', 'main');
  });
  after(async () => {
    await rm(repo, { recursive: true, force: true });
    await rm(worktrees, { recursive: true, force: true });
  });

  async function attempt(id: string, n: number) {
    const a = await ws.prepareAttempt('r1', task(id), n);
    await writeFile(join(a.worktree, `${id}-${n}.txt`), `${id}\n`);
    await ws.collectChanges('r1', task(id), a);
    return a;
  }

  it('a fence that says the lease is gone leaves the integration branch where it was', async () => {
    const a = await attempt('A', 1);
    const before = sh(repo, 'rev-parse', ws.integrationBranch('r1'));
    await assert.rejects(ws.integrate('r1', task('A'), a, { fence: async () => { throw new LeaseLostError('A'); } }), LeaseLostError);
    assert.equal(sh(repo, 'rev-parse', ws.integrationBranch('r1')), before);
  });

  it('when another process moves the branch between the merge and the swap, the merge is redone on the new tip', async () => {
    const b = await attempt('B', 1);
    // "Another process" integrates C while B is between its merge and its swap.
    const c = await attempt('C', 1);
    const other = await GitWorkspace.open({ repo, worktreesDir: worktrees });
    let fenced = 0;
    await ws.integrate('r1', task('B'), b, {
      fence: async () => {
        if (fenced++ === 0) {
          const tip = sh(repo, 'rev-parse', ws.integrationBranch('r1'));
          const moved = sh(c.worktree, 'rev-parse', 'HEAD');
          const merged = sh(repo, 'commit-tree', `${moved}^{tree}`, '-p', tip, '-p', moved, '-m', 'Merge C elsewhere');
          sh(repo, 'update-ref', `refs/heads/${other.integrationBranch('r1')}`, merged, tip);
        }
      },
    });
    assert.equal(fenced, 2, 'the first swap failed, the second merge went through');
    const files = sh(repo, 'ls-tree', '--name-only', ws.integrationBranch('r1')).split('\n');
    assert.ok(files.includes('B-1.txt') && files.includes('C-1.txt'), files.join(' '));
  });

  it("a succeeded attempt removes its own and earlier attempts' worktrees, never a later attempt's", async () => {
    const first = await attempt('D', 1);
    const stale = await attempt('D', 2);
    const replacing = await attempt('D', 3);
    await ws.releaseAttempt(stale, true);
    assert.equal(existsSync(first.worktree), false);
    assert.equal(existsSync(stale.worktree), false);
    assert.equal(existsSync(replacing.worktree), true, 'the attempt that replaced it keeps its worktree');
  });

  it('removeEarlierAttempts (a recovered attempt) removes the interrupted attempts\' worktrees', async () => {
    const one = await attempt('E', 1);
    const two = await attempt('E', 2);
    await ws.removeEarlierAttempts('r1', task('E'), 3);
    assert.equal(existsSync(one.worktree), false);
    assert.equal(existsSync(two.worktree), false);
  });
});

describe('file lock', () => {
  it('excludes a second holder until the first is done, and takes over a lock left by a dead process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weft-lock-'));
    const path = join(dir, 'x.lock');
    const order: string[] = [];
    let release!: () => void;
    const first = withFileLock(path, async () => {
      order.push('first in');
      await new Promise<void>((resolve) => (release = resolve));
      order.push('first out');
    });
    while (!existsSync(path)) await new Promise((r) => setTimeout(r, 5));
    const second = withFileLock(path, async () => void order.push('second'));
    await new Promise((r) => setTimeout(r, 100));
    release();
    await Promise.all([first, second]);
    assert.deepEqual(order, ['first in', 'first out', 'second']);
    // A pid that does not exist on this host: the lock is stale.
    await writeFile(path, JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname() }));
    assert.equal(await withFileLock(path, async () => 'taken over'), 'taken over');
    await rm(dir, { recursive: true, force: true });
  });
});
