/** The pull request queries of KyselyStore, over one connection or transaction (both dialects). */
import { sql } from 'kysely';
import type { Kysely, Transaction, Updateable } from 'kysely';
import { PR_STATES } from './pr-records.js';
import type {
  PrCheck,
  PrReactionKind,
  PrState,
  PullRequestFilter,
  PullRequestInput,
  PullRequestPatch,
  PullRequestRecord,
  PullRequestStats,
} from './pr-records.js';
import type { PullRequestRow, PullRequestsTable } from './pr-schema.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

const COUNTER_COLUMN: Record<PrReactionKind, 'checks_failed_count' | 'changes_requested_count' | 'conflict_count'> = {
  checks_failed: 'checks_failed_count',
  changes_requested: 'changes_requested_count',
  conflict: 'conflict_count',
};

/** Inserts a PR or updates the one with the same run and head branch; returns the stored row. */
export async function upsertPullRequest(db: Db, pr: PullRequestInput): Promise<PullRequestRecord> {
  const optional: Updateable<PullRequestsTable> = {};
  if (pr.headSha !== undefined) optional.head_sha = pr.headSha;
  if (pr.state !== undefined) optional.state = pr.state;
  if (pr.draft !== undefined) optional.draft = pr.draft ? 1 : 0;
  const identity = { task_id: pr.taskId, repo: pr.repo, number: pr.number, url: pr.url, base: pr.base };
  await db
    .insertInto('pull_requests')
    .values({ run_id: pr.runId, head: pr.head, state: 'open', created_at: pr.now, updated_at: pr.now, merged_at: null, closed_at: null, branch_deleted_at: null, head_sha: null, review: null, mergeable: null, last_reaction: null, escalation: null, ...identity, ...optional })
    .onConflict((oc) => oc.columns(['run_id', 'head']).doUpdateSet({ ...identity, ...optional, updated_at: pr.now }))
    .execute();
  return (await getByHead(db, pr.runId, pr.head))!;
}

/** Applies a patch to the PR of `runId` with head `head`; false when there is none. */
export async function updatePullRequest(db: Db, runId: string, head: string, patch: PullRequestPatch): Promise<boolean> {
  const set: Updateable<PullRequestsTable> = { updated_at: patch.now };
  if (patch.state !== undefined) set.state = patch.state;
  if (patch.headSha !== undefined) set.head_sha = patch.headSha;
  if (patch.base !== undefined) set.base = patch.base;
  if (patch.draft !== undefined) set.draft = patch.draft ? 1 : 0;
  if (patch.checks !== undefined) set.checks = JSON.stringify(patch.checks);
  if (patch.review !== undefined) set.review = patch.review;
  if (patch.mergeable !== undefined) set.mergeable = patch.mergeable === null ? null : patch.mergeable ? 1 : 0;
  if (patch.escalation !== undefined) set.escalation = patch.escalation;
  if (patch.mergedAt !== undefined) set.merged_at = patch.mergedAt;
  if (patch.closedAt !== undefined) set.closed_at = patch.closedAt;
  if (patch.branchDeletedAt !== undefined) set.branch_deleted_at = patch.branchDeletedAt;
  const res = await db.updateTable('pull_requests').set(set).where('run_id', '=', runId).where('head', '=', head).executeTakeFirst();
  return res.numUpdatedRows > 0n;
}

/** The PR of one run with head branch `head`. */
export async function getByHead(db: Db, runId: string, head: string): Promise<PullRequestRecord | undefined> {
  const row = await db.selectFrom('pull_requests').selectAll().where('run_id', '=', runId).where('head', '=', head).executeTakeFirst();
  return row && toPullRequest(row);
}

/** The newest PR of a task (a task has one, unless a hosted agent opened another). */
export async function getForTask(db: Db, runId: string, taskId: string): Promise<PullRequestRecord | undefined> {
  const row = await db
    .selectFrom('pull_requests')
    .selectAll()
    .where('run_id', '=', runId)
    .where('task_id', '=', taskId)
    .orderBy('created_at', 'desc')
    .orderBy('number', 'desc')
    .executeTakeFirst();
  return row && toPullRequest(row);
}

/** PRs newest first, filtered by run and state. */
export async function listPullRequests(db: Db, filter: PullRequestFilter = {}): Promise<PullRequestRecord[]> {
  let q = db.selectFrom('pull_requests').selectAll();
  if (filter.runId !== undefined) q = q.where('run_id', '=', filter.runId);
  if (filter.state !== undefined) q = q.where('state', '=', filter.state);
  q = q.orderBy('created_at', 'desc').orderBy('run_id', 'desc').orderBy('number', 'desc');
  if (filter.limit !== undefined) q = q.limit(filter.limit);
  return (await q.execute()).map(toPullRequest);
}

/** PRs with this number, newest first; those of `repo` (when given) before others. */
export async function findByNumber(db: Db, number: number, repo?: string | null): Promise<PullRequestRecord[]> {
  const rows = (await db.selectFrom('pull_requests').selectAll().where('number', '=', number).orderBy('created_at', 'desc').execute()).map(toPullRequest);
  if (!repo) return rows;
  const lower = repo.toLowerCase();
  return [...rows.filter((r) => r.repo?.toLowerCase() === lower), ...rows.filter((r) => r.repo?.toLowerCase() !== lower)];
}

/** PRs whose head branch is `head` (any run), newest first. */
export async function findByHead(db: Db, head: string): Promise<PullRequestRecord[]> {
  return (await db.selectFrom('pull_requests').selectAll().where('head', '=', head).orderBy('created_at', 'desc').execute()).map(toPullRequest);
}

/**
 * Records that a reaction with `key` was applied, at most once per key: false when the last reaction
 * already had this key (a repeated webhook or a second poller). Bumps the reaction's counter.
 */
export async function recordReaction(db: Db, runId: string, head: string, key: string, kind: PrReactionKind | null, now: number): Promise<boolean> {
  let q = db.updateTable('pull_requests').set({ last_reaction: key, updated_at: now });
  if (kind) {
    const column = COUNTER_COLUMN[kind];
    q = q.set((eb) => ({ [column]: eb(column, '+', 1) }));
  }
  const res = await q
    .where('run_id', '=', runId)
    .where('head', '=', head)
    .where((eb) => eb.or([eb('last_reaction', 'is', null), eb('last_reaction', '!=', key)]))
    .executeTakeFirst();
  return res.numUpdatedRows > 0n;
}

/** Totals, counts by state, success rate and mean time to merge, over one run or all. */
export async function pullRequestStats(db: Db, runId?: string): Promise<PullRequestStats> {
  let q = db
    .selectFrom('pull_requests')
    .select((eb) => ['state', eb.fn.countAll<number | string>().as('n'), eb.fn.sum<number | string | null>(sql`merged_at - created_at`).as('merge_ms')])
    .groupBy('state');
  if (runId !== undefined) q = q.where('run_id', '=', runId);
  const byState = Object.fromEntries(PR_STATES.map((s) => [s, 0])) as Record<PrState, number>;
  let total = 0;
  let mergeMs = 0;
  for (const row of await q.execute()) {
    const n = Number(row.n);
    byState[row.state as PrState] = n;
    total += n;
    if (row.state === 'merged') mergeMs = Number(row.merge_ms ?? 0);
  }
  const finished = byState.merged + byState.closed;
  return {
    total,
    byState,
    successRate: finished === 0 ? null : byState.merged / finished,
    averageTimeToMergeMs: byState.merged === 0 ? null : Math.round(mergeMs / byState.merged),
  };
}

/** Deletes merged or closed PR records last updated before `cutoff`; returns how many. */
export async function deleteFinishedBefore(db: Db, cutoff: number): Promise<number> {
  const res = await db.deleteFrom('pull_requests').where('state', 'in', ['merged', 'closed']).where('updated_at', '<', cutoff).executeTakeFirst();
  return Number(res.numDeletedRows);
}

/** Row -> record. */
export function toPullRequest(r: PullRequestRow): PullRequestRecord {
  return {
    runId: r.run_id,
    taskId: r.task_id,
    repo: r.repo,
    number: Number(r.number),
    url: r.url,
    head: r.head,
    base: r.base,
    headSha: r.head_sha,
    state: r.state as PrState,
    draft: Number(r.draft) !== 0,
    checks: JSON.parse(r.checks) as Record<string, PrCheck>,
    review: r.review as PullRequestRecord['review'],
    mergeable: r.mergeable === null ? null : Number(r.mergeable) !== 0,
    reactions: {
      checks_failed: Number(r.checks_failed_count),
      changes_requested: Number(r.changes_requested_count),
      conflict: Number(r.conflict_count),
    },
    lastReaction: r.last_reaction,
    escalation: r.escalation,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    mergedAt: r.merged_at === null ? null : Number(r.merged_at),
    closedAt: r.closed_at === null ? null : Number(r.closed_at),
    branchDeletedAt: r.branch_deleted_at === null ? null : Number(r.branch_deleted_at),
  };
}
