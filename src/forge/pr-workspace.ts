/**
 * The run's workspace in pull request mode. Two differences from the plain git workspace: an attempt of
 * a task that already has an open PR continues on that PR's branch (so the fix lands in the same PR), with
 * the PR's base merged in when the forge reports a conflict (a conflict with weft's own integration branch
 * is rebuilt on its tip instead, as without PRs); and uncommitted agent changes are committed with the
 * commit message template, signed off when `pr.signOff` is set.
 */
import type { TaskSpec } from '../core/task.js';
import { FINAL_PR_STATES } from '../store/pr-records.js';
import type { Store } from '../store/store.js';
import { git, gitLines, gitText, identityConfig } from '../vcs/git.js';
import type { VerifyResult } from '../vcs/run-verify.js';
import type { AttemptChanges, AttemptGuard, AttemptWorkspace, IntegrateOptions, RunWorkspaceInfo, Workspace } from '../vcs/workspace.js';
import { fetchBranch } from './git-remote.js';
import type { PrContent } from './pr-content.js';
import type { PrSettings } from './pr-settings.js';

export interface PrWorkspaceDeps {
  store: Store;
  settings: PrSettings;
  content: PrContent;
}

/** Wraps a Workspace for PR mode (see the file comment). */
export class PrWorkspace implements Workspace {
  readonly #inner: Workspace;
  readonly #deps: PrWorkspaceDeps;

  constructor(inner: Workspace, deps: PrWorkspaceDeps) {
    this.#inner = inner;
    this.#deps = deps;
    if (inner.finishRun) this.finishRun = (runId: string) => inner.finishRun!(runId);
    if (inner.guardAttempt) this.guardAttempt = (runId: string, ws: AttemptWorkspace) => inner.guardAttempt!(runId, ws);
    if (inner.removeEarlierAttempts) this.removeEarlierAttempts = (runId, task, attempt) => inner.removeEarlierAttempts!(runId, task, attempt);
  }

  finishRun?: (runId: string) => Promise<void>;
  guardAttempt?: (runId: string, ws: AttemptWorkspace) => Promise<AttemptGuard>;
  removeEarlierAttempts?: Workspace['removeEarlierAttempts'];

  prepareRun(runId: string, baseBranch?: string | null): Promise<RunWorkspaceInfo> {
    return this.#inner.prepareRun(runId, baseBranch);
  }

  async prepareAttempt(runId: string, task: TaskSpec, attempt: number): Promise<AttemptWorkspace> {
    const ws = await this.#inner.prepareAttempt(runId, task, attempt);
    const pr = await this.#deps.store.getPullRequest(runId, task.id);
    if (!pr || FINAL_PR_STATES.includes(pr.state)) return ws;
    // The last attempt conflicted with weft's own integration branch: rebuild on its tip, like any
    // conflict retry (the push then replaces the PR's branch), instead of repeating the conflict.
    if (await this.#conflictedLocally(runId, task.id)) return ws;
    const { remote } = this.#deps.settings;
    // Continue where the PR is (including commits pushed to it on the forge), not from the integration tip.
    const head = await fetchBranch(ws.worktree, remote, pr.head).catch(() => pr.headSha);
    if (head) await git(ws.worktree, ['reset', '--hard', '--quiet', head]);
    if (pr.mergeable === false) {
      // A rebase attempt: bring the PR's base in; conflicts stay in the worktree for the agent to resolve.
      const base = await fetchBranch(ws.worktree, remote, pr.base).catch(() => null);
      if (base) {
        const identity = await identityConfig(ws.worktree);
        await git(ws.worktree, ['merge', '--no-ff', '--no-edit', '--quiet', base], { allowFail: true, config: identity });
      }
    }
    return ws;
  }

  async #conflictedLocally(runId: string, taskId: string): Promise<boolean> {
    const last = (await this.#deps.store.listAttempts(runId, taskId)).filter((a) => a.status === 'failed' || a.status === 'interrupted').at(-1);
    const result = last?.result as { conflictFiles?: unknown } | null | undefined;
    return last?.errorCategory === 'conflict' && Array.isArray(result?.conflictFiles);
  }

  async collectChanges(runId: string, task: TaskSpec, ws: AttemptWorkspace): Promise<AttemptChanges> {
    const wt = ws.worktree;
    if ((await gitText(wt, ['status', '--porcelain', '--untracked-files=all'], { allowFail: true })) !== '') {
      const message = await this.#deps.content.commit(task);
      await git(wt, ['add', '-A'], { allowFail: true });
      const args = ['commit', '--quiet', '-m', message, ...(this.#deps.settings.signOff ? ['--signoff'] : [])];
      // If this commit fails (a hook), the plain workspace tries again and reports the failure properly.
      await git(wt, args, { allowFail: true, config: await identityConfig(wt) });
    } else if (this.#deps.settings.signOff && (await gitLines(wt, ['rev-parse', '-q', '--verify', 'MERGE_HEAD'], { allowFail: true })).length > 0) {
      await git(wt, ['commit', '--quiet', '--no-edit', '--signoff'], { allowFail: true, config: await identityConfig(wt) });
    }
    return this.#inner.collectChanges(runId, task, ws);
  }

  verify(ws: AttemptWorkspace, command: string, signal: AbortSignal, log?: (chunk: string) => void): Promise<VerifyResult> {
    return this.#inner.verify(ws, command, signal, log);
  }

  integrate(runId: string, task: TaskSpec, ws: AttemptWorkspace, opts?: IntegrateOptions): Promise<void> {
    return this.#inner.integrate(runId, task, ws, opts);
  }

  releaseAttempt(ws: AttemptWorkspace, succeeded: boolean): Promise<void> {
    return this.#inner.releaseAttempt(ws, succeeded);
  }
}
