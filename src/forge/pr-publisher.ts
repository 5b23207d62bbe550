/**
 * Opens and updates pull requests: pushes a task's branch, opens (or finds) its PR into the run's
 * integration branch, labels it, and records it; also the run's final integration -> base PR.
 */
import { AgentError, type AgentResult } from '../agents/agent-backend.js';
import { InputError } from '../core/errors.js';
import type { PullRequestRecord } from '../store/pr-records.js';
import type { Json, RunRecord, TaskRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { refSafe } from '../vcs/git.js';
import type { AttemptChanges, AttemptWorkspace } from '../vcs/workspace.js';
import { ForgeError, type Forge, type PullRequestInfo } from './forge.js';
import { ensureRemoteBranch, pushBranch, remoteBranchSha } from './git-remote.js';
import { PrContent } from './pr-content.js';
import type { PrSettings } from './pr-settings.js';
import { deriveState } from './pr-state.js';

export interface PublishRequest {
  run: RunRecord;
  task: TaskRecord;
  attempt: number;
  workspace: AttemptWorkspace | null;
  result: AgentResult;
  changes?: AttemptChanges | undefined;
  agent: string;
  verify: string | null;
}

export interface PublisherDeps {
  store: Store;
  forge: Forge;
  settings: PrSettings;
  /** The repository root (pushes run there). */
  repo: string | null;
  content?: PrContent;
  now?: () => number;
}

/** The remote branch a task's PR comes from: `<prefix><run>/<task>`, stable across attempts. */
export function taskBranchName(prefix: string, runId: string, taskId: string): string {
  return `${prefix}${refSafe(runId)}/${refSafe(taskId)}`;
}

/** Pushes branches and opens, updates and records pull requests. */
export class PrPublisher {
  readonly #deps: PublisherDeps;
  readonly #content: PrContent;

  constructor(deps: PublisherDeps) {
    this.#deps = deps;
    this.#content = deps.content ?? new PrContent(deps.settings.templatesDir);
  }

  #now(): number {
    return this.#deps.now?.() ?? Date.now();
  }

  /**
   * After a task's successful attempt: its branch is pushed and its PR opened (or updated: never a second
   * one for the same branch), labelled and stored. A PR the agent opened itself is tracked the same way.
   * Returns the PR's URL, or null when there is nothing to open.
   */
  async publishTask(req: PublishRequest): Promise<string | null> {
    const { forge, settings, store } = this.#deps;
    if (!forge.opensPullRequests) return null;
    try {
      if (req.result.prUrl) return await this.#trackAgentPr(req, req.result.prUrl);
      if (!req.workspace || !this.#deps.repo || !req.run.branch) return null;
      const repo = this.#deps.repo;
      const integration = req.run.branch;
      const head = taskBranchName(settings.branchPrefix, req.run.id, req.task.id);
      // The integration branch starts at the base on the remote and only moves when task PRs merge.
      await ensureRemoteBranch(repo, settings.remote, req.run.baseBranch ?? integration, integration);
      const sha = await pushBranch(repo, settings.remote, req.workspace.branch, head, { force: true });
      const { title, body } = await this.#content.task(await this.#variables(req, integration));
      const { pr, created } = await forge.openPullRequest({ head, base: integration, title, body, draft: settings.draft });
      if (!created) await forge.updatePullRequest(pr.number, { title, body, ...(pr.base !== integration ? { base: integration } : {}) });
      await this.#decorate(pr.number, req.task, created);
      await this.#record(req.run.id, req.task.id, { ...pr, base: integration }, sha, created);
      await store.updateTask(req.run.id, req.task.id, { prUrl: pr.url });
      if (settings.waitForMerge) await store.setMergeWait(req.run.id, req.task.id, true, this.#now());
      return pr.url;
    } catch (err) {
      throw asAttemptError(err);
    }
  }

  /** Opens (or updates) the run's integration -> base PR once the integration branch has something to merge. */
  async publishRun(run: RunRecord): Promise<PullRequestRecord | null> {
    const { forge, settings, store } = this.#deps;
    if (!forge.opensPullRequests || !settings.finalPr || !this.#deps.repo || !run.branch || !run.baseBranch) return null;
    const repo = this.#deps.repo;
    const [head, base] = await Promise.all([remoteBranchSha(repo, settings.remote, run.branch), remoteBranchSha(repo, settings.remote, run.baseBranch)]);
    // Nothing merged into the integration branch yet (GitHub refuses a PR without commits), or no base on the remote.
    if (!head || !base || head === base) return null;
    const tasks = await store.listTasks(run.id);
    const prs = new Map((await store.listPullRequests({ runId: run.id })).filter((p) => p.taskId).map((p) => [p.taskId, p]));
    const { title, body } = await this.#content.run({
      run: { id: run.id, title: run.title },
      base: run.baseBranch,
      head: run.branch,
      tasks: tasks.filter((t) => t.status !== 'done').map((t) => ({ id: t.id, title: t.title, status: t.status, prUrl: prs.get(t.id)?.url ?? null, prState: prs.get(t.id)?.state ?? null })),
    });
    const { pr, created } = await forge.openPullRequest({ head: run.branch, base: run.baseBranch, title, body, draft: settings.draft });
    if (!created) await forge.updatePullRequest(pr.number, { title, body });
    if (created) await forge.addLabels(pr.number, settings.labels).catch(() => undefined);
    return this.#record(run.id, null, pr, head, created);
  }

  async #trackAgentPr(req: PublishRequest, url: string): Promise<string> {
    const number = prNumberFromUrl(url);
    if (number === null) return url;
    const status = await this.#deps.forge.getPullRequest(number);
    await this.#decorate(number, req.task, true);
    await this.#record(req.run.id, req.task.id, status, status.headSha, false);
    if (this.#deps.settings.waitForMerge) await this.#deps.store.setMergeWait(req.run.id, req.task.id, true, this.#now());
    return status.url;
  }

  /** Labels `weft` (configured) + the task type; reviewers and assignees once, when the PR is new. */
  async #decorate(number: number, task: TaskRecord, created: boolean): Promise<void> {
    const { forge, settings } = this.#deps;
    await forge.addLabels(number, [...new Set([...settings.labels, task.type])]);
    if (!created) return;
    // A reviewer who cannot review (the PR's own author, say) must not cost the task its PR.
    await forge.requestReviewers(number, settings.reviewers).catch((err: unknown) => this.#warn(task, number, 'request reviewers', err));
    await forge.addAssignees(number, settings.assignees).catch((err: unknown) => this.#warn(task, number, 'assign', err));
  }

  async #record(runId: string, taskId: string | null, pr: PullRequestInfo, sha: string | null, created: boolean): Promise<PullRequestRecord> {
    const { store } = this.#deps;
    const now = this.#now();
    const before = await store.findPullRequestByHead(pr.head);
    const known = before && before.runId === runId ? before : undefined;
    const newCommit = known !== undefined && sha !== null && known.headSha !== sha;
    const record = await store.upsertPullRequest({
      runId,
      taskId,
      repo: this.#deps.forge.repo,
      number: pr.number,
      url: pr.url,
      head: pr.head,
      base: pr.base,
      headSha: sha,
      draft: pr.draft,
      ...(!known || pr.merged || pr.state === 'closed' ? { state: pr.merged ? 'merged' : pr.state === 'closed' ? 'closed' : 'open' } : {}),
      now,
    });
    if (newCommit && !['merged', 'closed'].includes(record.state)) {
      // A new commit: the old checks and conflict no longer apply; a requested change stays until re-reviewed.
      const state = deriveState({ checks: {}, review: record.review, merged: false, closed: false });
      await store.updatePullRequest(runId, pr.head, { checks: {}, mergeable: null, state, now });
    }
    await store.appendEvents([{ runId, taskId, type: created ? 'pr.opened' : 'pr.updated', at: now, data: { number: pr.number, url: pr.url, head: pr.head, base: pr.base } }]).catch(() => undefined);
    return (await store.findPullRequestByHead(pr.head)) ?? record;
  }

  async #variables(req: PublishRequest, base: string) {
    const { store } = this.#deps;
    const dependencies = [];
    for (const id of req.task.dependsOn) {
      const dep = await store.getTask(req.run.id, id);
      const pr = await store.getPullRequest(req.run.id, id);
      dependencies.push({ id, title: dep?.title ?? id, prUrl: pr?.url ?? dep?.prUrl ?? null, prState: pr?.state ?? null });
    }
    const attempts = (await store.listAttempts(req.run.id, req.task.id)).map((a) => ({
      number: a.number,
      status: a.number === req.attempt ? 'succeeded' : a.status,
      error: a.number === req.attempt ? null : a.error,
    }));
    return {
      task: req.task.spec,
      run: { id: req.run.id, title: req.run.title },
      base,
      agent: req.agent,
      dependencies,
      attempts,
      verify: { command: req.verify, passed: true },
      summary: req.result.summary ?? null,
      filesChanged: req.changes?.filesChanged ?? [],
    };
  }

  async #warn(task: TaskRecord, number: number, what: string, err: unknown): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    await this.#deps.store.appendEvents([{ runId: task.runId, taskId: task.id, type: 'pr.warning', at: this.#now(), data: { number, message: `could not ${what}: ${message}` } as Json }]).catch(() => undefined);
  }
}

/** `123` from `https://github.com/o/r/pull/123`; null otherwise. */
export function prNumberFromUrl(url: string): number | null {
  const m = /\/pulls?\/(\d+)(?:[/?#]|$)/.exec(url);
  return m ? Number(m[1]) : null;
}

/** A forge or push failure as an attempt failure with a category that decides the retry. */
function asAttemptError(err: unknown): unknown {
  if (err instanceof AgentError || err instanceof InputError) return err;
  if (err instanceof ForgeError) {
    const s = err.status;
    const category = s === 401 ? 'auth' : s === 403 && err.retryAfterMs === null ? 'auth' : s === 403 || s === 429 ? 'rate_limit' : s === 422 || s === 404 ? 'validation' : s !== null && s >= 500 ? 'server' : 'network';
    return new AgentError(category, err.message, err.retryAfterMs !== null ? { retryAfterMs: err.retryAfterMs } : {});
  }
  return err;
}
