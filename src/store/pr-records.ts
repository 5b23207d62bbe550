/** Pull request rows the store keeps (one per task branch, plus a run's final PR), as plain data. */
import type { Json } from './records.js';

/** Every state a tracked pull request can be in; one list for types, API output and the database. */
export const PR_STATES = [
  'open',
  'checks_pending',
  'checks_failed',
  'checks_passed',
  'changes_requested',
  'approved',
  'merged',
  'closed',
] as const;
export type PrState = (typeof PR_STATES)[number];

/** States after which a pull request never changes again. */
export const FINAL_PR_STATES: readonly PrState[] = ['merged', 'closed'];

/** Reactions that have a per-PR counter and a cap. */
export const PR_REACTION_KINDS = ['checks_failed', 'changes_requested', 'conflict'] as const;
export type PrReactionKind = (typeof PR_REACTION_KINDS)[number];

/** The latest result of one check (a check run, a check suite or a commit status), by name. */
export interface PrCheck {
  /** `queued`, `in_progress`, `completed` (check runs) or `pending` (commit statuses). */
  status: string;
  /** `success`, `failure`, `neutral`, `cancelled`, `timed_out`, `action_required`, `skipped`, `error`; null while running. */
  conclusion: string | null;
  /** Output title/summary/text excerpt, for the fix attempt's prompt. */
  summary: string | null;
  url: string | null;
}

export interface PullRequestRecord {
  runId: string;
  /** The task the PR carries; null for the run's final integration -> base PR. */
  taskId: string | null;
  /** `owner/name` on the forge. */
  repo: string | null;
  number: number;
  url: string;
  head: string;
  base: string;
  headSha: string | null;
  state: PrState;
  draft: boolean;
  checks: Record<string, PrCheck>;
  review: 'approved' | 'changes_requested' | null;
  /** False when the forge reports a merge conflict; null while unknown. */
  mergeable: boolean | null;
  /** How many times each reaction fired (a new attempt) for this PR. */
  reactions: Record<PrReactionKind, number>;
  /** Key of the last reaction applied, so a repeated webhook does not react twice. */
  lastReaction: string | null;
  /** Set when weft gave up reacting and a human has to look. */
  escalation: string | null;
  createdAt: number;
  updatedAt: number;
  mergedAt: number | null;
  closedAt: number | null;
  /** When `weft prs cleanup` deleted the merged head branch. */
  branchDeletedAt: number | null;
}

/** What opening (or finding) a PR tells the store. Fields left out keep their stored value. */
export interface PullRequestInput {
  runId: string;
  taskId: string | null;
  repo: string | null;
  number: number;
  url: string;
  head: string;
  base: string;
  headSha?: string | null;
  state?: PrState;
  draft?: boolean;
  now: number;
}

export type PullRequestPatch = Partial<
  Pick<
    PullRequestRecord,
    'state' | 'headSha' | 'base' | 'draft' | 'checks' | 'review' | 'mergeable' | 'escalation' | 'mergedAt' | 'closedAt' | 'branchDeletedAt'
  >
> & { now: number };

export interface PullRequestFilter {
  runId?: string;
  state?: PrState;
  limit?: number;
}

export interface PullRequestStats {
  total: number;
  byState: Record<PrState, number>;
  /** merged / (merged + closed); null before any PR finished. */
  successRate: number | null;
  /** Mean of merged_at - created_at over merged PRs; null when none merged. */
  averageTimeToMergeMs: number | null;
}

/** Feedback for a new attempt that a PR event asked for (failing checks, review comments, a conflict). */
export interface ReopenFeedback {
  category: 'checks_failed' | 'changes_requested' | 'conflict';
  message: string;
  output?: string | null;
  result?: Json;
}
