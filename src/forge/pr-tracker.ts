/**
 * Tracks pull requests: an update (a webhook or a poll) moves the stored PR to its next state, and the
 * reaction decided by `decideReaction` is applied to the task (new attempt, done, cancelled) and the forge.
 */
import type { WeftConfig } from '../config/config-schema.js';
import type { PrReactionKind, PullRequestRecord, ReopenFeedback } from '../store/pr-records.js';
import { FINAL_PR_STATES } from '../store/pr-records.js';
import type { Json, RunRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { Forge } from './forge.js';
import { createGithubForge } from './create-forge.js';
import { PrPublisher } from './pr-publisher.js';
import { applyUpdate, failedChecks, normalizeWebhook, snapshotUpdate, type PrTarget, type PrUpdate } from './pr-state.js';
import { readRunPrOptions, resolvePrSettings, type PrSettings } from './pr-settings.js';
import { decideReaction, type Reaction } from './reactions.js';

/** Label added to a PR that needs a human. */
export const NEEDS_HUMAN_LABEL = 'weft:needs-human';

export interface TrackOutcome {
  runId: string;
  taskId: string | null;
  number: number;
  from: string;
  to: string;
  reaction: Reaction['kind'];
  detail: string;
  /** The task got a new attempt (some process has to execute the run). */
  reopened: boolean;
  /** Tasks that may start now (the PR merged). */
  unblocked: string[];
  /** Tasks blocked (the PR closed without merging). */
  blocked: string[];
}

export interface PrTrackerDeps {
  store: Store;
  config: WeftConfig;
  /** The forge of a run; default GitHub from the run's settings and GITHUB_TOKEN, null when unavailable. */
  forgeFor?: (run: RunRecord) => Promise<Forge | null>;
  /** Called after the final PR should be (re)considered, e.g. when a task PR merged. */
  onMerged?: (run: RunRecord) => Promise<void>;
  now?: () => number;
}

/** Applies PR updates and their reactions. One per process; safe to share between webhooks and pollers. */
export class PrTracker {
  readonly #deps: PrTrackerDeps;
  readonly #forges = new Map<string, Promise<Forge | null>>();

  constructor(deps: PrTrackerDeps) {
    this.#deps = deps;
  }

  #now(): number {
    return this.#deps.now?.() ?? Date.now();
  }

  /** Handles one GitHub webhook; events weft does not track, or PRs it does not know, give no outcome. */
  async handleWebhook(name: string, payload: unknown): Promise<TrackOutcome[]> {
    const event = normalizeWebhook(name, payload);
    if (!event) return [];
    const records = new Map<string, PullRequestRecord>();
    for (const target of event.targets) {
      for (const pr of await this.#find(target)) records.set(`${pr.runId}\u0000${pr.head}`, pr);
    }
    const outcomes: TrackOutcome[] = [];
    for (const pr of records.values()) outcomes.push(await this.apply(pr, event.update));
    return outcomes;
  }

  /** Polls the open PRs (of one run, or all) on their forge and applies what changed. */
  async poll(filter: { runId?: string } = {}): Promise<TrackOutcome[]> {
    const open = (await this.#deps.store.listPullRequests(filter.runId ? { runId: filter.runId } : {})).filter((p) => !FINAL_PR_STATES.includes(p.state));
    const outcomes: TrackOutcome[] = [];
    for (const pr of open) {
      const forge = await this.forgeForRun(pr.runId);
      if (!forge?.opensPullRequests) continue;
      const status = await forge.getPullRequest(pr.number);
      outcomes.push(await this.apply(pr, snapshotUpdate(status)));
    }
    return outcomes;
  }

  /** The forge of a run (cached), or null without token or repository. */
  async forgeForRun(runId: string): Promise<Forge | null> {
    let forge = this.#forges.get(runId);
    if (!forge) {
      forge = (async () => {
        const run = await this.#deps.store.getRun(runId);
        if (!run) return null;
        if (this.#deps.forgeFor) return this.#deps.forgeFor(run);
        const settings = this.settingsFor(run);
        try {
          return await createGithubForge({ repo: run.repo, remote: settings.remote, githubRepo: settings.githubRepo });
        } catch {
          return null; // webhooks still move the PR; reactions that need the API degrade to the event's data
        }
      })();
      this.#forges.set(runId, forge);
    }
    return forge;
  }

  /** The PR settings of a run. */
  settingsFor(run: RunRecord): PrSettings {
    return resolvePrSettings(this.#deps.config, readRunPrOptions(run.options));
  }

  /** Moves one stored PR by `update`, stores it, decides the reaction and applies it. */
  async apply(pr: PullRequestRecord, update: PrUpdate): Promise<TrackOutcome> {
    const { store } = this.#deps;
    const now = this.#now();
    const next = applyUpdate(pr, update, now);
    await store.updatePullRequest(pr.runId, pr.head, {
      state: next.state,
      headSha: next.headSha,
      base: next.base,
      draft: next.draft,
      checks: next.checks,
      review: next.review,
      mergeable: next.mergeable,
      mergedAt: next.mergedAt,
      closedAt: next.closedAt,
      now,
    });
    const run = await store.getRun(pr.runId);
    const task = pr.taskId ? await store.getTask(pr.runId, pr.taskId) : undefined;
    const settings = run ? this.settingsFor(run) : resolvePrSettings(this.#deps.config, { enabled: false, remote: null, githubRepo: null });
    const reviewId = update.kind === 'review' ? update.reviewId : null;
    const reaction = decideReaction(pr, next, { caps: settings.reactions, autoMerge: settings.autoMerge, taskStatus: task ? task.status : null, reviewId });
    const outcome: TrackOutcome = { runId: pr.runId, taskId: pr.taskId, number: pr.number, from: pr.state, to: next.state, reaction: reaction.kind, detail: reaction.kind === 'none' ? reaction.why : '', reopened: false, unblocked: [], blocked: [] };
    if (pr.state !== next.state) await this.#event(pr, 'pr.state', { number: pr.number, from: pr.state, to: next.state });
    if (reaction.kind === 'none') return outcome;
    // Claims the reaction once across processes and repeated deliveries.
    const kind: PrReactionKind | null = reaction.kind === 'retry' ? reaction.reason : null;
    if (!(await store.recordPullRequestReaction(pr.runId, pr.head, reaction.key, kind, now))) {
      return { ...outcome, reaction: 'none', detail: 'already applied' };
    }
    switch (reaction.kind) {
      case 'merged': {
        if (pr.taskId) outcome.unblocked = await store.setMergeWait(pr.runId, pr.taskId, false, now);
        outcome.detail = `#${pr.number} merged${outcome.unblocked.length ? `; may start now: ${outcome.unblocked.join(', ')}` : ''}`;
        if (run && pr.taskId) await this.#afterMerge(run).catch((err: unknown) => this.#event(pr, 'pr.warning', { number: pr.number, message: `final pull request: ${err instanceof Error ? err.message : String(err)}` }));
        break;
      }
      case 'closed': {
        if (pr.taskId) outcome.blocked = await store.withdrawTask(pr.runId, pr.taskId, `pull request #${pr.number} was closed without merging`, now);
        outcome.detail = `#${pr.number} closed without merging; task cancelled${outcome.blocked.length ? `, blocked: ${outcome.blocked.join(', ')}` : ''}`;
        break;
      }
      case 'retry': {
        const feedback = await this.#feedback(next, reaction.reason, update);
        const attempt = pr.taskId ? await store.reopenTask(pr.runId, pr.taskId, feedback, now) : undefined;
        outcome.reopened = attempt !== undefined;
        outcome.detail = `${reaction.reason}: new attempt ${reaction.attempt} of ${reaction.cap} for task ${pr.taskId}`;
        break;
      }
      case 'escalate': {
        await store.updatePullRequest(pr.runId, pr.head, { escalation: reaction.message, now });
        outcome.detail = reaction.message;
        const forge = await this.forgeForRun(pr.runId);
        if (forge?.opensPullRequests) {
          await forge.addLabels(pr.number, [NEEDS_HUMAN_LABEL]).catch(() => undefined);
          await forge.comment(pr.number, `**weft:** ${reaction.message}`).catch(() => undefined);
        }
        break;
      }
      case 'merge': {
        const forge = await this.forgeForRun(pr.runId);
        if (!forge?.opensPullRequests) {
          outcome.detail = 'auto-merge needs the GitHub API (GITHUB_TOKEN)';
          break;
        }
        const res = await forge.mergePullRequest(pr.number, { method: settings.mergeMethod, sha: next.headSha });
        outcome.detail = res.merged ? `#${pr.number} merged by weft (auto-merge)` : `auto-merge of #${pr.number} refused: ${res.message}`;
        if (res.merged) {
          await this.#event(pr, 'pr.reaction', { number: pr.number, reaction: 'merge', detail: outcome.detail });
          const merged = await this.apply({ ...next, lastReaction: reaction.key }, {
            kind: 'pull_request', action: 'closed', number: pr.number, head: pr.head, base: next.base, headSha: next.headSha, merged: true, closed: true, draft: false, mergeable: true, at: this.#now(),
          });
          return { ...outcome, to: merged.to, unblocked: merged.unblocked };
        }
        break;
      }
    }
    await this.#event(pr, 'pr.reaction', { number: pr.number, reaction: reaction.kind, detail: outcome.detail });
    return outcome;
  }

  /** A task PR merged: the run's final PR may have something to show now. */
  async #afterMerge(run: RunRecord): Promise<void> {
    if (this.#deps.onMerged) return this.#deps.onMerged(run);
    const forge = await this.forgeForRun(run.id);
    if (!forge?.opensPullRequests) return;
    await new PrPublisher({ store: this.#deps.store, forge, settings: this.settingsFor(run), repo: run.repo }).publishRun(run);
  }

  async #find(target: PrTarget): Promise<PullRequestRecord[]> {
    const { store } = this.#deps;
    if (target.head) {
      const byHead = await store.findPullRequestByHead(target.head);
      if (byHead && (target.number === null || byHead.number === target.number)) return [byHead];
    }
    if (target.number !== null) {
      const byNumber = await store.findPullRequestByNumber(target.number, target.repo);
      if (byNumber) return [byNumber];
    }
    if (target.sha) {
      const open = await store.listPullRequests({ limit: 1000 });
      const bySha = open.filter((p) => p.headSha === target.sha && !FINAL_PR_STATES.includes(p.state));
      if (bySha.length > 0) return bySha;
    }
    return [];
  }

  /** What the new attempt is told: failing checks with their output, or the review with its comments, or the conflict. */
  async #feedback(pr: PullRequestRecord, reason: PrReactionKind, update: PrUpdate): Promise<ReopenFeedback> {
    const forge = await this.forgeForRun(pr.runId);
    const sha = pr.headSha ? pr.headSha.slice(0, 7) : 'its head';
    if (reason === 'checks_failed') {
      let failing = failedChecks(pr.checks);
      if (forge?.opensPullRequests && failing.some(([, c]) => !c.summary)) {
        // The webhook only names the check; the API has its output.
        const status = await forge.getPullRequest(pr.number).catch(() => null);
        const byName = new Map(status?.checks.map((c) => [c.name, c]) ?? []);
        failing = failing.map(([name, c]) => [name, { ...c, summary: c.summary ?? byName.get(name)?.summary ?? null }]);
        const extra = status?.checks.filter((c) => c.conclusion && c.conclusion !== 'success' && c.conclusion !== 'neutral' && c.conclusion !== 'skipped' && !pr.checks[c.name]) ?? [];
        for (const c of extra) failing.push([c.name, { status: c.status, conclusion: c.conclusion, summary: c.summary, url: c.url }]);
      }
      const names = failing.map(([name, c]) => `${name} (${c.conclusion})`).join(', ') || 'a check';
      const output = failing
        .map(([name, c]) => [`### ${name}: ${c.conclusion}`, c.summary ?? '(no output reported)', c.url ? `Details: ${c.url}` : ''].filter(Boolean).join('\n'))
        .join('\n\n');
      return {
        category: 'checks_failed',
        message: `Pull request #${pr.number}: checks failed on ${sha}: ${names}. Make them pass; this attempt continues on the same branch.`,
        output,
        result: { pr: pr.number, checks: failing.map(([name]) => name) } as Json,
      };
    }
    if (reason === 'changes_requested') {
      let body = update.kind === 'review' ? update.body : '';
      let user = update.kind === 'review' ? update.user : null;
      const reviewId = update.kind === 'review' ? update.reviewId : null;
      if (forge?.opensPullRequests && !body && update.kind === 'snapshot') {
        const latest = [...update.status.reviews].reverse().find((r) => r.state.toUpperCase() === 'CHANGES_REQUESTED');
        body = latest?.body ?? '';
        user = latest?.user ?? null;
      }
      const comments = forge?.opensPullRequests ? await forge.listReviewComments(pr.number, reviewId ?? undefined).catch(() => []) : [];
      const lines = comments.map((c) => `- ${c.path ?? '(general)'}${c.line ? `:${c.line}` : ''}${c.user ? ` (@${c.user})` : ''}: ${c.body.trim()}`);
      return {
        category: 'changes_requested',
        message: `A reviewer${user ? ` (@${user})` : ''} requested changes on pull request #${pr.number}. Address every point; this attempt continues on the same branch.\n\n${body.trim() || '(no summary given)'}`,
        output: lines.length ? `Review comments:\n${lines.join('\n')}` : null,
        result: { pr: pr.number, reviewId } as Json,
      };
    }
    return {
      category: 'conflict',
      message: `Pull request #${pr.number} conflicts with its base branch ${pr.base}. This attempt starts from the pull request's branch with ${pr.base} merged in: resolve the conflict markers (\`git status\` lists the files), keeping the intent of both sides.`,
      output: null,
      result: { pr: pr.number } as Json,
    };
  }

  async #event(pr: PullRequestRecord, type: string, data: Json): Promise<void> {
    await this.#deps.store.appendEvents([{ runId: pr.runId, taskId: pr.taskId, type, at: this.#now(), data }]).catch(() => undefined);
  }
}
