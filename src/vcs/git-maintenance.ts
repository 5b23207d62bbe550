/** `weft clean` and `--merge`: the two git operations that act on a run as a whole. */
import { readdir, rm } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { InputError } from '../core/errors.js';
import { git, gitLines, gitText, listWorktrees, refSafe } from './git.js';

/** What `mergeIntoBase` did. */
export interface MergeIntoBaseResult {
  baseBranch: string;
  integrationBranch: string;
  /** Base tip before and after. */
  before: string;
  after: string;
  /** True when the base simply moved forward (no merge commit); false for a merge commit or nothing to do. */
  fastForward: boolean;
  upToDate: boolean;
}

const isUnder = (path: string, dir: string) => path === dir || path.startsWith(dir + sep);

/** Removes weft's worktrees (one run's, or all under `worktreesDir`) and prunes; returns the removed paths. */
export async function cleanWorktrees(opts: {
  root: string;
  worktreesDir: string;
  /** refSafe(runId), or undefined for every run. */
  runDir: string | undefined;
  branchPrefix: string;
  deleteBranches: boolean;
}): Promise<string[]> {
  const { root, worktreesDir, runDir } = opts;
  const dirs = runDir === undefined ? [worktreesDir] : [join(worktreesDir, runDir), join(worktreesDir, `${runDir}-integration`)];
  const removed: string[] = [];
  for (const entry of await listWorktrees(root)) {
    if (entry.path === root || !dirs.some((d) => isUnder(entry.path, d))) continue;
    await git(root, ['worktree', 'remove', '--force', '--force', entry.path], { allowFail: true });
    await rm(entry.path, { recursive: true, force: true });
    removed.push(entry.path);
  }
  // Directories git no longer knows about (a crash between mkdir and registration) go too.
  if (runDir === undefined) {
    for (const name of await readdir(worktreesDir).catch(() => [] as string[])) await rm(join(worktreesDir, name), { recursive: true, force: true });
  } else {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  }
  await git(root, ['worktree', 'prune'], { allowFail: true });
  if (opts.deleteBranches) {
    const prefix = `refs/heads/${opts.branchPrefix}${runDir === undefined ? '' : `${runDir}/`}`;
    const names = await gitLines(root, ['for-each-ref', '--format=%(refname)', prefix]);
    // Attempt branches only (`weft/<run>/<task>-aN`); integration branches (`weft/run-<id>`) hold the result.
    const attempts = names.filter((n) => n.slice(`refs/heads/${opts.branchPrefix}`.length).includes('/')).map((n) => n.slice('refs/heads/'.length));
    if (attempts.length > 0) await git(root, ['branch', '-D', ...attempts], { allowFail: true });
  }
  return removed;
}

/**
 * Brings the integration branch into the base branch. When the base is checked out somewhere (usually the
 * user's main tree) the merge happens there, and only if that tree has no uncommitted changes; otherwise the
 * branch ref is fast-forwarded directly or merged in a temporary worktree, so no checkout is disturbed.
 */
export async function mergeIntoBase(opts: {
  root: string;
  worktreesDir: string;
  base: string;
  integration: string;
  identity: string[];
}): Promise<MergeIntoBaseResult> {
  const { root, base, integration } = opts;
  const sha = (ref: string) => gitText(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { allowFail: true });
  const before = await sha(`refs/heads/${base}`);
  if (!before) throw new InputError(`--merge needs a local base branch, and "${base}" is not one`, { baseBranch: base });
  const tip = await sha(`refs/heads/${integration}`);
  if (!tip) throw new InputError(`integration branch ${integration} does not exist; nothing to merge`, { branch: integration });
  const result = { baseBranch: base, integrationBranch: integration, before, after: before, fastForward: false, upToDate: false };
  const isAncestor = async (a: string, b: string) => (await git(root, ['merge-base', '--is-ancestor', a, b], { allowFail: true })).code === 0;
  if (await isAncestor(tip, before)) return { ...result, upToDate: true };

  const message = `Merge ${integration} into ${base}`;
  const holder = (await listWorktrees(root)).find((e) => e.branch === `refs/heads/${base}`);
  if (holder) {
    const dirty = await gitText(holder.path, ['status', '--porcelain', '--untracked-files=no']);
    if (dirty) {
      throw new InputError(
        `${base} is checked out in ${holder.path} with uncommitted changes; commit or stash them and run again, or merge ${integration} yourself`,
        { baseBranch: base, worktree: holder.path },
      );
    }
    await mergeOrAbort(holder.path, ['merge', '--no-edit', '-m', message, tip], opts.identity, base, integration);
  } else if (await isAncestor(before, tip)) {
    // Nobody has the base checked out: moving the ref is the whole fast-forward (guarded by its old value).
    await git(root, ['update-ref', '-m', `weft: ${message}`, `refs/heads/${base}`, tip, before]);
  } else {
    const tmp = join(opts.worktreesDir, `merge-${refSafe(base)}-${process.pid}`);
    await git(root, ['worktree', 'add', '--quiet', tmp, base]);
    try {
      await mergeOrAbort(tmp, ['merge', '--no-ff', '--no-edit', '-m', message, tip], opts.identity, base, integration);
    } finally {
      await git(root, ['worktree', 'remove', '--force', '--force', tmp], { allowFail: true });
      await rm(tmp, { recursive: true, force: true });
      await git(root, ['worktree', 'prune'], { allowFail: true });
    }
  }
  const after = await sha(`refs/heads/${base}`);
  return { ...result, after, fastForward: after === tip };
}

async function mergeOrAbort(dir: string, args: string[], identity: string[], base: string, integration: string): Promise<void> {
  const merged = await git(dir, args, { allowFail: true, config: identity });
  if (merged.code === 0) return;
  const files = await gitLines(dir, ['diff', '--name-only', '--diff-filter=U']);
  await git(dir, ['merge', '--abort'], { allowFail: true });
  const why = files.length > 0 ? `conflicts in ${files.join(', ')}` : (merged.stderr || merged.stdout).trim();
  throw new InputError(`cannot merge ${integration} into ${base}: ${why}; ${base} was left unchanged`, { conflictFiles: files });
}
