/**
 * What weft does when a pull request changes, decided purely from the PR before and after, the task's
 * status and the configured caps. Applying the decision (store, forge, git) is pr-tracker's job.
 */
import type { TaskStatus } from '../core/task.js';
import type { PrReactionKind, PullRequestRecord } from '../store/pr-records.js';
import { aggregateChecks } from './pr-state.js';
import type { ReactionCaps } from './pr-settings.js';

export type Reaction =
  | { kind: 'none'; why: string }
  /** The PR merged: the task is done and tasks waiting for the merge may start. */
  | { kind: 'merged'; key: string }
  /** Closed without merging: the task is cancelled and its dependents blocked. */
  | { kind: 'closed'; key: string }
  /** A new attempt of the task on the same branch, with the failure as feedback. */
  | { kind: 'retry'; reason: PrReactionKind; key: string; attempt: number; cap: number }
  /** The cap is reached (or the reaction is off): mark the PR for a human. */
  | { kind: 'escalate'; reason: PrReactionKind; key: string; message: string }
  /** Approved and green with auto-merge on: merge it. */
  | { kind: 'merge'; key: string };

export interface ReactionContext {
  caps: ReactionCaps;
  autoMerge: boolean;
  /** The task's status now; null for a run's final PR (no task behind it). */
  taskStatus: TaskStatus | null;
  /** The review that triggered this, so each new review is reacted to once. */
  reviewId?: number | null;
}

/** Config key of each cap, for messages. */
const CAP_KEY: Record<PrReactionKind, string> = {
  checks_failed: 'pr.reactions.checksFailed',
  changes_requested: 'pr.reactions.changesRequested',
  conflict: 'pr.reactions.conflict',
};

const WHAT: Record<PrReactionKind, string> = {
  checks_failed: 'checks are failing',
  changes_requested: 'a reviewer requested changes',
  conflict: 'the branch conflicts with its base',
};

/** Decides the reaction to `prev` becoming `next` (pure). */
export function decideReaction(prev: PullRequestRecord, next: PullRequestRecord, ctx: ReactionContext): Reaction {
  if (next.state === 'merged') return prev.state === 'merged' && prev.lastReaction === 'merged' ? none('already merged') : { kind: 'merged', key: 'merged' };
  if (next.state === 'closed') return prev.lastReaction === 'closed' ? none('already closed') : { kind: 'closed', key: 'closed' };
  if (ctx.taskStatus === null) return none('a run PR has no task to retry');
  // A new attempt is only possible for a finished task; a running fix attempt will push a new commit anyway.
  const finished = ctx.taskStatus === 'succeeded' || ctx.taskStatus === 'failed';
  const sha = next.headSha ?? 'unknown';

  let reason: PrReactionKind | null = null;
  let key = '';
  if (next.state === 'changes_requested') {
    reason = 'changes_requested';
    key = `changes_requested:${ctx.reviewId ?? sha}`;
  } else if (next.state === 'checks_failed') {
    reason = 'checks_failed';
    key = `checks_failed:${sha}`;
  } else if (next.mergeable === false) {
    reason = 'conflict';
    key = `conflict:${sha}`;
  }
  if (reason) {
    if (!finished) return none(`task is ${ctx.taskStatus}`);
    const cap = ctx.caps[capName(reason)];
    const done = next.reactions[reason];
    if (done >= cap) {
      const escalateKey = `escalate:${key}`;
      if (next.lastReaction === escalateKey || next.lastReaction === key) return none('already escalated');
      return { kind: 'escalate', reason, key: escalateKey, message: escalationMessage(next, reason, done, cap) };
    }
    if (next.lastReaction === key) return none('already reacted');
    return { kind: 'retry', reason, key, attempt: done + 1, cap };
  }

  if (ctx.autoMerge && next.state === 'approved' && aggregateChecks(next.checks) !== 'pending' && next.mergeable !== false && !next.draft) {
    const mergeKey = `merge:${sha}`;
    if (next.lastReaction === mergeKey) return none('merge already tried');
    return { kind: 'merge', key: mergeKey };
  }
  return none(`nothing to do in state ${next.state}`);
}

/** The message a human sees on the PR (and in `weft prs`) when weft stops reacting. */
export function escalationMessage(pr: Pick<PullRequestRecord, 'number' | 'taskId'>, reason: PrReactionKind, done: number, cap: number): string {
  const tried = cap === 0 ? `reacting to this is off (${CAP_KEY[reason]} = 0)` : `weft already made ${done} new attempt${done === 1 ? '' : 's'} (${CAP_KEY[reason]} = ${cap})`;
  return `Needs a human: ${WHAT[reason]} on #${pr.number}${pr.taskId ? ` (task ${pr.taskId})` : ''} and ${tried}.`;
}

function capName(reason: PrReactionKind): keyof ReactionCaps {
  return reason === 'checks_failed' ? 'checksFailed' : reason === 'changes_requested' ? 'changesRequested' : 'conflict';
}

function none(why: string): Reaction {
  return { kind: 'none', why };
}
