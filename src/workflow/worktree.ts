/** One git worktree per workflow run, for `run` steps and handlers: detached at the repository's HEAD, outside `.git/`. */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { git } from '../vcs/git.js';
import { defaultWorktreesDir } from '../vcs/worktrees-dir.js';

/** The worktree of workflow run `runId` in `repo` (created on first call); `repo` itself when it is not a git repository. */
export async function workflowWorktree(repo: string, runId: string, worktreesDir?: string): Promise<string> {
  const top = await git(repo, ['rev-parse', '--show-toplevel'], { allowFail: true });
  if (top.code !== 0) return repo;
  const root = top.stdout.trim();
  const common = (await git(root, ['rev-parse', '--path-format=absolute', '--git-common-dir'])).stdout.trim();
  const base = worktreesDir ? (isAbsolute(worktreesDir) ? worktreesDir : resolve(root, worktreesDir)) : defaultWorktreesDir(root, common);
  const dir = join(base, `workflow-${runId}`);
  if (existsSync(join(dir, '.git'))) return dir;
  await mkdir(base, { recursive: true });
  const head = await git(root, ['rev-parse', '--verify', '-q', 'HEAD'], { allowFail: true });
  if (head.code !== 0) return root; // an empty repository has nothing to check out
  await git(root, ['worktree', 'prune'], { allowFail: true });
  await git(root, ['worktree', 'add', '--detach', dir, 'HEAD']);
  return dir;
}

/** Removes a workflow run's worktree (after the run ends). */
export async function removeWorkflowWorktree(repo: string, runId: string, worktreesDir?: string): Promise<void> {
  const dir = await workflowWorktree(repo, runId, worktreesDir).catch(() => null);
  if (!dir || dir === repo || !dir.includes(`workflow-${runId}`)) return;
  await git(repo, ['worktree', 'remove', '--force', dir], { allowFail: true });
}
