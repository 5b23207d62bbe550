/** Upkeep of tracked pull requests: list/stats shapes, cleanup of merged branches and old records, and watching. */
import { InputError } from '../core/errors.js';
import { iso } from '../engine/run-status.js';
import type { PullRequestRecord, PullRequestStats } from '../store/pr-records.js';
import type { Store } from '../store/store.js';
import type { Weft } from '../weft.js';
import { deleteRemoteBranch } from './git-remote.js';
import { PrTracker, type TrackOutcome } from './pr-tracker.js';
import { readRunPrOptions, resolvePrSettings } from './pr-settings.js';

/** A PR as `weft prs --json` and the API show it. */
export function pullRequestJson(pr: PullRequestRecord) {
  return {
    runId: pr.runId,
    taskId: pr.taskId,
    repo: pr.repo,
    number: pr.number,
    url: pr.url,
    head: pr.head,
    base: pr.base,
    state: pr.state,
    draft: pr.draft,
    checks: pr.checks,
    review: pr.review,
    mergeable: pr.mergeable,
    reactions: pr.reactions,
    escalation: pr.escalation,
    createdAt: iso(pr.createdAt),
    updatedAt: iso(pr.updatedAt),
    mergedAt: iso(pr.mergedAt),
    closedAt: iso(pr.closedAt),
    branchDeletedAt: iso(pr.branchDeletedAt),
  };
}

/** Stats as JSON, with the average time to merge also in readable form. */
export function statsJson(stats: PullRequestStats) {
  return { ...stats, successRate: stats.successRate === null ? null : Math.round(stats.successRate * 1000) / 1000 };
}

/** `30d`, `12h`, `90m`, `45s` or a number of days, in milliseconds. */
export function parseAge(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([dhms]?)$/i.exec(text.trim());
  if (!m) throw new InputError(`--older-than must look like 30d, 12h, 90m or a number of days, got "${text}"`);
  const n = Number(m[1]);
  const unit = (m[2] || 'd').toLowerCase();
  return n * (unit === 'd' ? 86_400_000 : unit === 'h' ? 3_600_000 : unit === 'm' ? 60_000 : 1000);
}

export interface CleanupResult {
  branchesDeleted: string[];
  branchErrors: { head: string; error: string }[];
  recordsDeleted: number;
}

/**
 * Deletes the head branches of merged PRs from the remote (once; the record remembers it) and forgets
 * merged or closed PRs last updated more than `olderThanMs` ago.
 */
export async function cleanupPullRequests(weft: Pick<Weft, 'store' | 'config'>, opts: { olderThanMs: number; branches?: boolean; now?: number }): Promise<CleanupResult> {
  const { store, config } = weft;
  const now = opts.now ?? Date.now();
  const result: CleanupResult = { branchesDeleted: [], branchErrors: [], recordsDeleted: 0 };
  if (opts.branches !== false) {
    for (const pr of await store.listPullRequests({ state: 'merged' })) {
      if (pr.branchDeletedAt !== null) continue;
      const run = await store.getRun(pr.runId);
      // The run's own integration branch is the final PR's head: only task branches go.
      if (!run?.repo || !pr.taskId) continue;
      const settings = resolvePrSettings(config, readRunPrOptions(run.options));
      try {
        await deleteRemoteBranch(run.repo, settings.remote, pr.head);
        await store.updatePullRequest(pr.runId, pr.head, { branchDeletedAt: now, now: pr.updatedAt });
        result.branchesDeleted.push(pr.head);
      } catch (err) {
        result.branchErrors.push({ head: pr.head, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }
  result.recordsDeleted = await store.deletePullRequestsBefore(now - opts.olderThanMs);
  return result;
}

/**
 * Polls every open PR (of one run or all), applies the reactions, and executes the runs that have work
 * again (a new attempt, or dependents a merge released), one after the other.
 */
export async function syncPullRequests(weft: Weft, opts: { runId?: string; execute?: boolean; tracker?: PrTracker } = {}): Promise<TrackOutcome[]> {
  const tracker = opts.tracker ?? new PrTracker({ store: weft.store, config: weft.config });
  const outcomes = await tracker.poll(opts.runId ? { runId: opts.runId } : {});
  if (opts.execute !== false) {
    for (const runId of new Set(outcomes.filter((o) => o.reopened || o.unblocked.length > 0).map((o) => o.runId))) {
      const run = await weft.store.getRun(runId);
      if (run && run.status !== 'running') await weft.executeRun(runId, { resumed: true });
    }
  }
  return outcomes;
}

/** PRs for listing: newest first, optionally of one run or state. */
export function listForCli(store: Store, filter: { runId?: string; state?: string }): Promise<PullRequestRecord[]> {
  return store.listPullRequests({ ...(filter.runId ? { runId: filter.runId } : {}), ...(filter.state ? { state: filter.state as PullRequestRecord['state'] } : {}) });
}
