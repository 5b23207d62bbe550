/**
 * Pull request state, pure: webhook payloads and polled snapshots become `PrUpdate`s, and an update
 * applied to a stored record gives the next record. No I/O here.
 */
import type { PrCheck, PrState, PullRequestRecord } from '../store/pr-records.js';
import type { CheckInfo, PullRequestStatus, ReviewInfo } from './forge.js';
import { checkSummary, statusCheck } from './github-forge.js';

/** Which PR an event is about: by number, by head branch, or by head commit (commit statuses). */
export interface PrTarget {
  repo: string | null;
  number: number | null;
  head: string | null;
  sha: string | null;
}

/** One observed change of a pull request. */
export type PrUpdate =
  | {
      kind: 'pull_request';
      action: string;
      number: number;
      head: string;
      base: string;
      headSha: string | null;
      merged: boolean;
      closed: boolean;
      draft: boolean;
      mergeable: boolean | null;
      at: number | null;
    }
  | { kind: 'review'; action: string; reviewId: number | null; state: string; user: string | null; body: string }
  | { kind: 'check'; name: string; headSha: string | null; check: PrCheck }
  | { kind: 'snapshot'; status: PullRequestStatus };

/** A normalized webhook: what it targets (possibly several PRs) and what changed. */
export interface PrEvent {
  targets: PrTarget[];
  update: PrUpdate;
}

/** The webhook events weft tracks. */
export const TRACKED_EVENTS = ['pull_request', 'pull_request_review', 'check_suite', 'check_run', 'status'] as const;

const FAILED = new Set(['failure', 'timed_out', 'cancelled', 'action_required', 'startup_failure', 'error']);

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Turns a GitHub webhook (event name + parsed payload) into a PrEvent; null for events weft ignores. */
export function normalizeWebhook(name: string, payload: unknown): PrEvent | null {
  const p = obj(payload);
  const repo = str(obj(p.repository).full_name);
  switch (name) {
    case 'pull_request': {
      const pr = obj(p.pull_request);
      const number = num(p.number) ?? num(pr.number);
      const head = str(obj(pr.head).ref);
      if (number === null || head === null) return null;
      const merged = pr.merged === true || (str(pr.merged_at) !== null && str(p.action) === 'closed');
      return {
        targets: [{ repo, number, head, sha: str(obj(pr.head).sha) }],
        update: {
          kind: 'pull_request',
          action: str(p.action) ?? '',
          number,
          head,
          base: str(obj(pr.base).ref) ?? '',
          headSha: str(obj(pr.head).sha),
          merged,
          closed: str(pr.state) === 'closed' || merged,
          draft: pr.draft === true,
          mergeable: mergeableOf(pr),
          at: time(str(pr.merged_at) ?? str(pr.closed_at) ?? str(pr.updated_at)),
        },
      };
    }
    case 'pull_request_review': {
      const pr = obj(p.pull_request);
      const review = obj(p.review);
      const number = num(pr.number);
      const head = str(obj(pr.head).ref);
      if (number === null && head === null) return null;
      const action = str(p.action) ?? '';
      return {
        targets: [{ repo, number, head, sha: str(obj(pr.head).sha) }],
        update: {
          kind: 'review',
          action,
          reviewId: num(review.id),
          state: action === 'dismissed' ? 'dismissed' : (str(review.state) ?? '').toLowerCase(),
          user: str(obj(review.user).login),
          body: str(review.body) ?? '',
        },
      };
    }
    case 'check_suite':
    case 'check_run': {
      const item = obj(name === 'check_suite' ? p.check_suite : p.check_run);
      const suite = name === 'check_suite' ? item : obj(item.check_suite);
      const sha = str(item.head_sha) ?? str(suite.head_sha);
      const branch = str(suite.head_branch);
      const prs = Array.isArray(item.pull_requests) ? item.pull_requests.map(obj) : [];
      const targets: PrTarget[] = prs.map((x) => ({ repo, number: num(x.number), head: str(obj(x.head).ref), sha }));
      if (targets.length === 0 && (branch || sha)) targets.push({ repo, number: null, head: branch, sha });
      if (targets.length === 0) return null;
      const app = obj(item.app);
      const checkName =
        name === 'check_run' ? (str(item.name) ?? 'check') : `suite:${str(app.slug) ?? str(app.name) ?? String(num(item.id) ?? 'checks')}`;
      const status = str(item.status) ?? 'completed';
      return {
        targets,
        update: {
          kind: 'check',
          name: checkName,
          headSha: sha,
          check: {
            status,
            conclusion: status === 'completed' ? (str(item.conclusion) ?? 'neutral') : null,
            summary: checkSummary(obj(item.output) as { title?: string | null; summary?: string | null; text?: string | null }),
            url: str(item.details_url) ?? str(item.html_url),
          },
        },
      };
    }
    case 'status': {
      const sha = str(p.sha);
      const context = str(p.context) ?? 'status';
      const branches = Array.isArray(p.branches) ? p.branches.map((b) => str(obj(b).name)).filter((b): b is string => b !== null) : [];
      const targets: PrTarget[] = [{ repo, number: null, head: null, sha }, ...branches.map((b) => ({ repo, number: null, head: b, sha }))];
      if (!sha && branches.length === 0) return null;
      const check = statusCheck(context, str(p.state) ?? 'pending', str(p.description), str(p.target_url));
      return { targets, update: { kind: 'check', name: `status:${context}`, headSha: sha, check: { ...check } } };
    }
    default:
      return null;
  }
}

/** A polled PR as an update. */
export function snapshotUpdate(status: PullRequestStatus): PrUpdate {
  return { kind: 'snapshot', status };
}

/** `failed` when any check failed, `pending` when any still runs, `passed` when all finished well, `none` without checks. */
export function aggregateChecks(checks: Record<string, PrCheck>): 'none' | 'pending' | 'failed' | 'passed' {
  const all = Object.values(checks);
  if (all.length === 0) return 'none';
  if (all.some((c) => c.conclusion !== null && FAILED.has(c.conclusion))) return 'failed';
  if (all.some((c) => c.conclusion === null)) return 'pending';
  return 'passed';
}

/** The names of the failed checks. */
export function failedChecks(checks: Record<string, PrCheck>): [string, PrCheck][] {
  return Object.entries(checks).filter(([, c]) => c.conclusion !== null && FAILED.has(c.conclusion));
}

/** The one state a PR is in, from what is known about it; a requested change outranks checks, failing checks outrank approval. */
export function deriveState(pr: Pick<PullRequestRecord, 'checks' | 'review'> & { merged: boolean; closed: boolean }): PrState {
  if (pr.merged) return 'merged';
  if (pr.closed) return 'closed';
  const checks = aggregateChecks(pr.checks);
  if (pr.review === 'changes_requested') return 'changes_requested';
  if (checks === 'failed') return 'checks_failed';
  if (pr.review === 'approved' && checks !== 'pending') return 'approved';
  if (checks === 'pending') return 'checks_pending';
  if (checks === 'passed') return 'checks_passed';
  return 'open';
}

/** The review verdict from a PR's reviews: each reviewer's latest approval or change request counts. */
export function reviewVerdict(reviews: ReviewInfo[]): 'approved' | 'changes_requested' | null {
  const latest = new Map<string, string>();
  const sorted = [...reviews].sort((a, b) => (a.submittedAt ?? 0) - (b.submittedAt ?? 0) || a.id - b.id);
  for (const r of sorted) {
    const state = r.state.toUpperCase();
    if (state === 'APPROVED' || state === 'CHANGES_REQUESTED' || state === 'DISMISSED') latest.set(r.user ?? `#${r.id}`, state);
  }
  const verdicts = [...latest.values()];
  if (verdicts.includes('CHANGES_REQUESTED')) return 'changes_requested';
  if (verdicts.includes('APPROVED')) return 'approved';
  return null;
}

/** The record after an update (pure); `now` stamps merge and close times the event does not carry. */
export function applyUpdate(pr: PullRequestRecord, update: PrUpdate, now: number): PullRequestRecord {
  const next: PullRequestRecord = { ...pr, checks: { ...pr.checks } };
  let merged = pr.state === 'merged';
  let closed = pr.state === 'closed';
  switch (update.kind) {
    case 'pull_request': {
      if (update.headSha && update.headSha !== pr.headSha && pr.headSha !== null) next.checks = {}; // a new commit: old checks are void
      if (update.headSha) next.headSha = update.headSha;
      // The base stays the one weft opened the PR against; polling (the API) reports a retarget.
      next.draft = update.draft;
      if (update.mergeable !== null || update.action === 'synchronize') next.mergeable = update.mergeable;
      merged = update.merged;
      closed = update.closed && !update.merged;
      if (update.action === 'reopened' || (!update.closed && !update.merged)) {
        merged = false;
        closed = false;
        next.closedAt = null;
      }
      if (merged) next.mergedAt = pr.mergedAt ?? update.at ?? now;
      if (closed) next.closedAt = pr.closedAt ?? update.at ?? now;
      break;
    }
    case 'review':
      if (update.state === 'approved') next.review = 'approved';
      else if (update.state === 'changes_requested') next.review = 'changes_requested';
      else if (update.state === 'dismissed') next.review = null;
      break;
    case 'check':
      next.checks[update.name] = update.check;
      break;
    case 'snapshot': {
      const s = update.status;
      next.headSha = s.headSha ?? pr.headSha;
      next.base = s.base || pr.base;
      next.draft = s.draft;
      next.mergeable = s.mergeable;
      next.checks = Object.fromEntries(s.checks.map((c: CheckInfo) => [c.name, { status: c.status, conclusion: c.conclusion, summary: c.summary, url: c.url }]));
      next.review = reviewVerdict(s.reviews);
      merged = s.merged;
      closed = s.state === 'closed' && !s.merged;
      if (merged) next.mergedAt = pr.mergedAt ?? s.mergedAt ?? now;
      if (closed) next.closedAt = pr.closedAt ?? s.closedAt ?? now;
      break;
    }
  }
  // A merged PR stays merged whatever late events say.
  if (pr.state === 'merged') {
    merged = true;
    closed = false;
  }
  next.state = deriveState({ checks: next.checks, review: next.review, merged, closed });
  next.updatedAt = now;
  return next;
}

function mergeableOf(pr: Obj): boolean | null {
  if (str(pr.mergeable_state) === 'dirty') return false;
  return typeof pr.mergeable === 'boolean' ? pr.mergeable : null;
}

function time(iso: string | null): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}
