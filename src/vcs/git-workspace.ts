/**
 * The git side of a run: an integration branch per run, a worktree and branch per attempt, and a
 * serialized merge queue. The user's checkout and the base branch are never touched.
 *
 * Several processes (workers) may share one repository. Nothing shared is changed without a lock that
 * works across processes (`file-lock.ts`, around git's worktree bookkeeping), each process merges in its
 * own detached integration worktree, and the integration branch moves only by compare-and-swap
 * (`git update-ref <ref> <new> <old>`): merge onto the tip read, confirm the lease (the fence), swap;
 * a tip moved by another process meanwhile means merging again onto the new one.
 *
 * The window: the fence extends the lease to a full lease duration, and the swap follows within
 * milliseconds; a newer attempt can only be claimed once that lease expired. So a stale process can
 * integrate only if it stalls between the two for longer than a lease (or the hosts' clocks disagree
 * by that much, since leases are stamped with the caller's clock); and even then a later attempt finds
 * the merge (findIntegratedAttempt) instead of applying the work twice.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, realpath, rm, rmdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { AgentError } from '../agents/agent-backend.js';
import type { TaskSpec } from '../core/task.js';
import { InputError } from '../core/errors.js';
import { git, gitLines, gitText, identityConfig, refExists, refSafe, type GitOutput } from './git.js';
import { cleanWorktrees, mergeIntoBase, type MergeIntoBaseResult } from './git-maintenance.js';
import { withFileLock } from './file-lock.js';
import { runVerify, type VerifyResult } from './run-verify.js';
import { sharedQueue, type SerialQueue } from './serial-queue.js';
import { defaultWorktreesDir, legacyWorktreesDir } from './worktrees-dir.js';
import { checkAttempt, snapshotAttempt, type GuardScope } from './attempt-guard.js';
import type { AttemptChanges, AttemptGuard, AttemptWorkspace, IntegrateOptions, RunWorkspaceInfo, Workspace } from './workspace.js';

export interface GitWorkspaceOptions {
  /** A path inside the repository. */
  repo: string;
  /** Where worktrees live; default a per-repository folder in the user's cache directory (see worktrees-dir.ts), never under `.git/`. */
  worktreesDir?: string;
  /** Prefix of every branch weft creates; default `weft/`. */
  branchPrefix?: string;
  /** Receives verify output as it comes. */
  log?: (chunk: string) => void;
  /** Paths in the user's checkout weft itself writes (its data dir, a database file): not an agent's doing. */
  ignorePaths?: string[];
}

interface RepoInfo {
  root: string;
  worktreesDir: string;
  /** `<git dir>/weft-worktrees`, where runs started before the move keep their worktrees. */
  legacyDir: string;
  /** Work on one repository is serialized per process by these, whichever object does it. */
  merges: SerialQueue;
  /** Worktree bookkeeping: serialized in this process, then under a lock file shared with other processes. */
  worktrees: { run<T>(job: () => Promise<T>): Promise<T> };
}

/** This process's own integration worktrees are named with this, so processes never share one. */
const PROCESS_TAG = `${process.pid}-${randomBytes(3).toString('hex')}`;
/** How often integrate() merges again after another process moved the integration branch first. */
const MAX_CAS_TRIES = 50;

const MAX_COMMITS = 50;

/** Workspace backed by a local git repository and `git worktree`. */
export class GitWorkspace implements Workspace {
  readonly branchPrefix: string;
  #options: GitWorkspaceOptions;
  #info: Promise<RepoInfo> | undefined;
  #bases = new Map<string, string>();
  #starts = new Map<string, string>();

  constructor(options: GitWorkspaceOptions) {
    this.#options = options;
    this.branchPrefix = options.branchPrefix ?? 'weft/';
  }

  /** Creates the workspace and checks that `repo` is a git repository (InputError otherwise). */
  static async open(options: GitWorkspaceOptions): Promise<GitWorkspace> {
    const ws = new GitWorkspace(options);
    await ws.info();
    return ws;
  }

  /** The repository's top-level directory and the worktrees directory. */
  async info(): Promise<{ root: string; worktreesDir: string }> {
    const { root, worktreesDir } = await this.#repo();
    return { root, worktreesDir };
  }

  /** `weft/run-<runId>`. */
  integrationBranch(runId: string): string {
    return `${this.branchPrefix}run-${refSafe(runId)}`;
  }

  /** `weft/<runId>/<taskId>-a<attempt>`. */
  attemptBranch(runId: string, taskId: string, attempt: number): string {
    return `${this.branchPrefix}${refSafe(runId)}/${refSafe(taskId)}-a${attempt}`;
  }

  async prepareRun(runId: string, baseBranch?: string | null): Promise<RunWorkspaceInfo> {
    const { root } = await this.#repo();
    const base = baseBranch ?? (await this.#currentBranch(root));
    if (!(await refExists(root, base))) throw new InputError(`base branch "${base}" does not exist in ${root}`, { baseBranch: base });
    const branch = this.integrationBranch(runId);
    // Resuming finds the branch already there, with the work integrated so far.
    if (!(await refExists(root, `refs/heads/${branch}`))) {
      const made = await git(root, ['branch', '--no-track', branch, base], { allowFail: true });
      if (made.code !== 0 && !(await refExists(root, `refs/heads/${branch}`))) throw gitFailure('create the integration branch', made);
    }
    this.#bases.set(runId, base);
    return { branch, baseBranch: base };
  }

  async findIntegratedAttempt(runId: string, task: TaskSpec, beforeAttempt: number): Promise<(AttemptChanges & { attempt: number }) | null> {
    if (beforeAttempt <= 1) return null;
    const { root } = await this.#repo();
    const integration = `refs/heads/${this.integrationBranch(runId)}`;
    if (!(await refExists(root, integration))) return null;
    // integrate() always makes a merge commit (--no-ff), so "merged" means: some merge's second parent is the attempt's tip.
    const merges = new Map<string, { merge: string; before: string }>();
    for (const line of await gitLines(root, ['log', '--merges', '--format=%H %P', integration])) {
      const [merge, before, tip] = line.split(' ');
      if (merge && before && tip) merges.set(tip, { merge, before });
    }
    for (let n = beforeAttempt - 1; n >= 1; n--) {
      const tip = await gitText(root, ['rev-parse', '--verify', '--quiet', `refs/heads/${this.attemptBranch(runId, task.id, n)}^{commit}`], { allowFail: true });
      const hit = tip ? merges.get(tip) : undefined;
      if (!hit) continue;
      const filesChanged = await gitLines(root, ['diff', '--name-only', '--no-renames', hit.before, hit.merge]);
      const commits = await gitLines(root, ['log', '--reverse', '--format=%s', `--max-count=${MAX_COMMITS}`, `${hit.before}..${tip}`]);
      return { attempt: n, filesChanged, commits };
    }
    return null;
  }

  async prepareAttempt(runId: string, task: TaskSpec, attempt: number): Promise<AttemptWorkspace> {
    const repo = await this.#repo();
    const integration = this.integrationBranch(runId);
    const branch = this.attemptBranch(runId, task.id, attempt);
    const worktree = join(repo.worktreesDir, refSafe(runId), `${refSafe(task.id)}-a${attempt}`);
    return repo.worktrees.run(async () => {
      const start = await gitText(repo.root, ['rev-parse', '--verify', '--quiet', `refs/heads/${integration}^{commit}`], { allowFail: true });
      if (!start) throw new Error(`integration branch ${integration} does not exist: prepareRun("${runId}") must come first`);
      // A worktree left by a crashed attempt with the same number is replaced, never reused half-done.
      await removeWorktree(repo.root, worktree);
      // -B resets a stale branch of the same name to the new start point.
      await git(repo.root, ['worktree', 'add', '--quiet', '-B', branch, worktree, start]);
      this.#starts.set(worktree, start);
      return { worktree, branch };
    });
  }

  async guardAttempt(runId: string, ws: AttemptWorkspace): Promise<AttemptGuard> {
    const repo = await this.#repo();
    const scope: GuardScope = {
      root: repo.root,
      worktree: ws.worktree,
      branch: ws.branch,
      integrationBranch: this.integrationBranch(runId),
      branchPrefix: this.branchPrefix,
      ignorePaths: [repo.worktreesDir, ...(this.#options.ignorePaths ?? [])],
    };
    const before = await snapshotAttempt(scope);
    return { check: (opts) => checkAttempt(scope, before, opts) };
  }

  async collectChanges(runId: string, task: TaskSpec, ws: AttemptWorkspace): Promise<AttemptChanges> {
    const { root } = await this.#repo();
    const wt = ws.worktree;
    const head = await gitText(wt, ['symbolic-ref', '--quiet', 'HEAD'], { allowFail: true });
    if (head !== `refs/heads/${ws.branch}`) {
      throw new AgentError('agent', `the agent switched the worktree away from ${ws.branch} (HEAD is ${head || 'detached'}); stay on the given branch`);
    }
    if ((await gitText(wt, ['status', '--porcelain', '--untracked-files=all'])) !== '') {
      // An agent's own state files (aider's .aider*) are never part of the work.
      await git(wt, ['add', '-A', '--', '.', ...AGENT_STATE_FILES.map((p) => `:(exclude)${p}`)]);
      const staged = await git(wt, ['diff', '--cached', '--quiet'], { allowFail: true });
      const message = `${task.id}: ${task.title.split('\n')[0]!.trim()}`;
      const commit = staged.code === 0 ? staged : await git(wt, ['commit', '--quiet', '-m', message], { allowFail: true, config: await identityConfig(root) });
      if (commit.code !== 0) {
        throw new AgentError('agent', "committing the agent's changes failed (a commit hook may have rejected them)", { output: (commit.stdout + commit.stderr).slice(-4000) });
      }
    }
    const start = this.#starts.get(wt) ?? (await gitText(wt, ['merge-base', `refs/heads/${this.integrationBranch(runId)}`, 'HEAD']));
    const range = `${start}..HEAD`;
    const filesChanged = (await gitLines(wt, ['diff', '--name-only', '--no-renames', start, 'HEAD'])).filter((f) => !isAgentStateFile(f));
    // Commits that cancel each other out are no change either, nor an ignore line for the agent's own files.
    if (filesChanged.length === 1 && filesChanged[0] === '.gitignore' && (await onlyIgnoresAgentFiles(wt, start))) filesChanged.length = 0;
    if (filesChanged.length === 0) throw new AgentError('agent', 'agent made no changes', { data: { noChanges: true } });
    const commits = await gitLines(wt, ['log', '--reverse', '--format=%s', `--max-count=${MAX_COMMITS}`, range]);
    return { filesChanged, commits };
  }

  async verify(ws: AttemptWorkspace, command: string, signal: AbortSignal, log?: (chunk: string) => void): Promise<VerifyResult> {
    return runVerify(ws.worktree, command, signal, (chunk) => {
      this.#options.log?.(chunk);
      log?.(chunk);
    });
  }

  /** Runs a verify command on a commit (the base branch, before a run) in a detached worktree that is removed afterwards; no branch is made. */
  async verifyAt(ref: string, command: string, signal: AbortSignal): Promise<VerifyResult> {
    const repo = await this.#repo();
    const dir = join(repo.worktreesDir, `baseline-${randomBytes(4).toString('hex')}`);
    await repo.worktrees.run(() => git(repo.root, ['worktree', 'add', '--quiet', '--detach', dir, ref]));
    try {
      return await runVerify(dir, command, signal, this.#options.log);
    } finally {
      await repo.worktrees.run(() => removeWorktree(repo.root, dir));
      if (!this.#options.worktreesDir) await rmdir(repo.worktreesDir).catch(() => undefined);
    }
  }

  async integrate(runId: string, task: TaskSpec, ws: AttemptWorkspace, opts: IntegrateOptions = {}): Promise<void> {
    const repo = await this.#repo();
    const ref = `refs/heads/${this.integrationBranch(runId)}`;
    await repo.merges.run(async () => {
      const dir = await this.#integrationWorktree(repo, runId);
      try {
        for (let tries = 1; ; tries++) {
          const old = await gitText(repo.root, ['rev-parse', '--verify', `${ref}^{commit}`]);
          await git(dir, ['checkout', '--quiet', '--force', '--detach', old]);
          await this.#merge(repo, dir, runId, task, ws);
          const merged = await gitText(dir, ['rev-parse', 'HEAD']);
          // The commit point: only the lease holder gets here, and the swap fails if anyone moved the branch.
          await opts.fence?.();
          const swapped = await git(repo.root, ['update-ref', '-m', `weft: integrate ${task.id}`, ref, merged, old], { allowFail: true });
          if (swapped.code === 0) return;
          if (tries >= MAX_CAS_TRIES) throw gitFailure(`move ${ref} (it kept moving under ${tries} merges)`, swapped);
        }
      } finally {
        // Between bursts of merges the integration worktree goes away, so a finished run leaves none behind.
        if (repo.merges.size <= 1) await repo.worktrees.run(() => removeWorktree(repo.root, dir));
      }
    });
  }

  async #merge(repo: RepoInfo, dir: string, runId: string, task: TaskSpec, ws: AttemptWorkspace): Promise<void> {
    const message = `Merge ${task.id}: ${task.title.split('\n')[0]!.trim()}`;
    const identity = await identityConfig(repo.root);
    const merged = await git(dir, ['merge', '--no-ff', '--no-verify', '-m', message, `refs/heads/${ws.branch}`], { allowFail: true, config: identity });
    if (merged.code === 0) return;
    const conflictFiles = await gitLines(dir, ['diff', '--name-only', '--diff-filter=U']);
    // Leave the integration worktree clean; the branch itself was never touched, and the retry starts from its tip.
    await git(dir, ['merge', '--abort'], { allowFail: true });
    await git(dir, ['reset', '--hard', '--quiet'], { allowFail: true });
    if (conflictFiles.length > 0) {
      throw new AgentError('conflict', `merge conflict in: ${conflictFiles.join(', ')}`, {
        data: { conflictFiles },
        output: (merged.stdout + merged.stderr).slice(-4000),
      });
    }
    throw gitFailure(`merge ${ws.branch} into ${this.integrationBranch(runId)}`, merged);
  }

  async releaseAttempt(ws: AttemptWorkspace, succeeded: boolean): Promise<void> {
    // A failed attempt's worktree stays for inspection until the task succeeds or `weft clean`;
    // its branch always stays as the record.
    if (!succeeded) return;
    const m = /^(.*-a)(\d+)$/.exec(basename(ws.worktree));
    await this.#removeAttempts(resolve(ws.worktree, '..'), m?.[1] ?? basename(ws.worktree), m ? Number(m[2]) : 0, ws.worktree);
  }

  async removeEarlierAttempts(runId: string, task: TaskSpec, attempt: number): Promise<void> {
    const repo = await this.#repo();
    await this.#removeAttempts(join(repo.worktreesDir, refSafe(runId)), `${refSafe(task.id)}-a`, attempt, null);
  }

  /** Removes `own` and the worktrees `<prefix><n>` with n < `below`: never a later attempt's, which replaced this one. */
  async #removeAttempts(dir: string, prefix: string, below: number, own: string | null): Promise<void> {
    const repo = await this.#repo();
    await repo.worktrees.run(async () => {
      const earlier = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)) && Number(n.slice(prefix.length)) < below);
      for (const path of [...(own ? [own] : []), ...earlier.map((n) => join(dir, n)).filter((p) => p !== own)]) {
        await removeWorktree(repo.root, path);
        this.#starts.delete(path);
      }
      await rmdir(dir).catch(() => undefined);
    });
  }

  /** End of a run: removes this process's integration worktree if one is left (attempt worktrees are handled by releaseAttempt). */
  async finishRun(runId: string): Promise<void> {
    const repo = await this.#repo();
    const dir = this.#integrationDir(repo, runId);
    // Also the shared one of weft versions before per-process integration worktrees (a resumed run).
    const shared = join(repo.worktreesDir, `${refSafe(runId)}-integration`);
    await repo.merges.run(() => repo.worktrees.run(async () => {
      await removeWorktree(repo.root, dir);
      await removeWorktree(repo.root, shared);
    }));
    await rmdir(resolve(dir, '..')).catch(() => undefined);
    await rmdir(join(repo.worktreesDir, refSafe(runId))).catch(() => undefined);
    // The per-repository folder goes too once no run uses it (rmdir refuses while anything is in it).
    if (!this.#options.worktreesDir) await rmdir(repo.worktreesDir).catch(() => undefined);
    await this.#cleanLegacy(repo, runId);
  }

  /** Removes kept worktrees (of one run, or all) and prunes git's records of them; `deleteBranches` also drops attempt branches. */
  async cleanAll(runId?: string, opts: { deleteBranches?: boolean } = {}): Promise<string[]> {
    const repo = await this.#repo();
    const runDir = runId === undefined ? undefined : refSafe(runId);
    const deleteBranches = opts.deleteBranches ?? false;
    return repo.worktrees.run(async () => [
      ...(await cleanWorktrees({ root: repo.root, worktreesDir: repo.worktreesDir, runDir, branchPrefix: this.branchPrefix, deleteBranches })),
      ...(await this.#legacyExists(repo) ? await cleanWorktrees({ root: repo.root, worktreesDir: repo.legacyDir, runDir, branchPrefix: this.branchPrefix, deleteBranches }) : []),
    ]);
  }

  #legacyExists(repo: RepoInfo): Promise<boolean> {
    return stat(repo.legacyDir).then((s) => s.isDirectory(), () => false);
  }

  /** Worktrees a run made under `.git/weft-worktrees` before the move: removed at the run's end. */
  async #cleanLegacy(repo: RepoInfo, runId: string): Promise<void> {
    if (!(await this.#legacyExists(repo))) return;
    await repo.worktrees.run(() => cleanWorktrees({ root: repo.root, worktreesDir: repo.legacyDir, runDir: refSafe(runId), branchPrefix: this.branchPrefix, deleteBranches: false }));
    await rmdir(repo.legacyDir).catch(() => undefined);
  }

  /** `--merge`: brings the integration branch into the base branch, refusing rather than disturbing uncommitted work. */
  async mergeIntoBase(runId: string, baseBranch?: string | null): Promise<MergeIntoBaseResult> {
    const repo = await this.#repo();
    const base = baseBranch ?? this.#bases.get(runId) ?? (await this.#currentBranch(repo.root));
    return repo.merges.run(async () =>
      mergeIntoBase({ root: repo.root, worktreesDir: repo.worktreesDir, base, integration: this.integrationBranch(runId), identity: await identityConfig(repo.root) }),
    );
  }

  #repo(): Promise<RepoInfo> {
    this.#info ??= this.#resolveRepo();
    return this.#info;
  }

  async #resolveRepo(): Promise<RepoInfo> {
    const path = resolve(this.#options.repo);
    const isDir = await stat(path).then((s) => s.isDirectory(), () => false);
    if (!isDir) throw new InputError(`repository path does not exist or is not a directory: ${path}`, { repo: path });
    const top = await git(path, ['rev-parse', '--show-toplevel'], { allowFail: true });
    if (top.code !== 0 || !top.stdout.trim()) throw new InputError(`not a git repository: ${path} (run "git init" there or pass --repo)`, { repo: path });
    const root = top.stdout.trim();
    const commonDir = resolve(root, await gitText(root, ['rev-parse', '--git-common-dir']));
    const wanted = this.#options.worktreesDir ? resolve(root, this.#options.worktreesDir) : defaultWorktreesDir(root, commonDir);
    await mkdir(wanted, { recursive: true });
    // Real paths, because git reports worktree paths resolved and they are compared with ours.
    const worktreesDir = await realpath(wanted);
    const legacyDir = legacyWorktreesDir(commonDir);
    const local = sharedQueue(`worktree:${commonDir}`);
    const lockFile = join(commonDir, 'weft-worktrees.lock');
    const worktrees = { run: <T>(job: () => Promise<T>) => local.run(() => withFileLock(lockFile, job)) };
    return { root, worktreesDir, legacyDir, merges: sharedQueue(`merge:${commonDir}`), worktrees };
  }

  async #currentBranch(root: string): Promise<string> {
    const branch = await gitText(root, ['symbolic-ref', '--quiet', '--short', 'HEAD'], { allowFail: true });
    if (!branch) throw new InputError(`${root}: HEAD is detached; pass the base branch explicitly (--base BRANCH)`);
    if (!(await refExists(root, branch))) throw new InputError(`${root}: branch ${branch} has no commits yet; commit something first`);
    return branch;
  }

  /** `<worktreesDir>/<run>-integration/<pid>-<random>`: this process's own; `weft clean <run>` removes them all. */
  #integrationDir(repo: RepoInfo, runId: string): string {
    return join(repo.worktreesDir, `${refSafe(runId)}-integration`, PROCESS_TAG);
  }

  /**
   * This process's worktree for merges into the integration branch: detached (the branch itself moves
   * only by update-ref), created on first use, reset if a crash left it dirty.
   */
  async #integrationWorktree(repo: RepoInfo, runId: string): Promise<string> {
    const dir = this.#integrationDir(repo, runId);
    const isOurs = (await gitText(dir, ['rev-parse', '--show-toplevel'], { allowFail: true }).catch(() => '')) === dir;
    if (isOurs) {
      await git(dir, ['merge', '--abort'], { allowFail: true });
      await git(dir, ['reset', '--hard', '--quiet']);
      return dir;
    }
    await repo.worktrees.run(async () => {
      await removeWorktree(repo.root, dir);
      // A run started before worktrees moved out of .git has its integration branch checked out there;
      // one started before per-process integration worktrees, in `<run>-integration` itself.
      await removeWorktree(repo.root, join(repo.legacyDir, `${refSafe(runId)}-integration`));
      const shared = join(repo.worktreesDir, `${refSafe(runId)}-integration`);
      if ((await gitText(shared, ['rev-parse', '--show-toplevel'], { allowFail: true }).catch(() => '')) === shared) await removeWorktree(repo.root, shared);
      await mkdir(resolve(dir, '..'), { recursive: true });
      const added = await git(repo.root, ['worktree', 'add', '--quiet', '--detach', dir, `refs/heads/${this.integrationBranch(runId)}`], { allowFail: true });
      if (added.code !== 0) throw gitFailure(`create the integration worktree ${dir}`, added);
    });
    return dir;
  }
}

/** Removes a worktree whether git still knows it or only its directory is left. */
async function removeWorktree(root: string, dir: string): Promise<void> {
  await git(root, ['worktree', 'remove', '--force', '--force', dir], { allowFail: true });
  await rm(dir, { recursive: true, force: true });
  await git(root, ['worktree', 'prune'], { allowFail: true });
}

function gitFailure(what: string, out: GitOutput): Error {
  return new Error(`git could not ${what}: ${(out.stderr || out.stdout).trim() || `exit ${out.code}`}`);
}

/** Files agents keep their own state in (aider's chat history and tag cache): never counted as work. */
export const AGENT_STATE_FILES = ['.aider*'] as const;

/** Whether a changed path is an agent's state file. */
export function isAgentStateFile(path: string): boolean {
  return /(^|\/)\.aider/.test(path);
}

/** Whether the .gitignore change since `start` only adds lines for agent state files (aider appends `.aider*`). */
async function onlyIgnoresAgentFiles(wt: string, start: string): Promise<boolean> {
  const diff = await gitLines(wt, ['diff', '--unified=0', start, 'HEAD', '--', '.gitignore']);
  const changed = diff.filter((l) => /^[+-](?![+-]{2})/.test(l));
  return changed.length > 0 && changed.every((l) => l.startsWith('+') && (isAgentStateFile(l.slice(1).trim()) || l.slice(1).trim() === '' || l.slice(1).trim().startsWith('#')));
}
