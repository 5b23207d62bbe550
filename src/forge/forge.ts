/**
 * Where pull requests live. `github` talks to the GitHub REST API (or GitHub Enterprise); `local` opens
 * none and leaves the run's integration branch as the result. Branches are pushed with git, not here.
 */

/** A pull request as the forge reports it. */
export interface PullRequestInfo {
  number: number;
  url: string;
  title: string;
  head: string;
  base: string;
  headSha: string | null;
  state: 'open' | 'closed';
  merged: boolean;
  draft: boolean;
  /** False when the forge found a merge conflict with the base; null while it has not computed it. */
  mergeable: boolean | null;
  createdAt: number | null;
  mergedAt: number | null;
  closedAt: number | null;
}

/** One check run or commit status on the PR's head commit. */
export interface CheckInfo {
  name: string;
  /** `queued`, `in_progress`, `completed`, or `pending` for a commit status still running. */
  status: string;
  conclusion: string | null;
  /** Output title, summary and text, shortened. */
  summary: string | null;
  url: string | null;
}

export interface ReviewInfo {
  id: number;
  /** `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED`, `PENDING`. */
  state: string;
  user: string | null;
  body: string;
  submittedAt: number | null;
}

export interface ReviewComment {
  path: string | null;
  line: number | null;
  body: string;
  user: string | null;
  reviewId: number | null;
}

/** Everything polling needs to know about a PR. */
export interface PullRequestStatus extends PullRequestInfo {
  checks: CheckInfo[];
  reviews: ReviewInfo[];
}

export interface OpenPullRequestRequest {
  head: string;
  base: string;
  title: string;
  body: string;
  draft: boolean;
}

export interface MergeRequest {
  method: 'merge' | 'squash' | 'rebase';
  commitTitle?: string;
  commitMessage?: string;
  /** Merge only if the head is still this commit. */
  sha?: string | null;
}

/** A forge that hosts pull requests. */
export interface Forge {
  readonly kind: 'github' | 'local';
  /** `owner/name`, or null for the local forge. */
  readonly repo: string | null;
  /** False for the local forge: nothing to open, only the integration branch. */
  readonly opensPullRequests: boolean;
  /** The open PR whose head is `head` (a branch of this repository), if any. */
  findOpenPullRequest(head: string): Promise<PullRequestInfo | undefined>;
  /** Opens a PR, or returns the open one for the same head branch (`created` false): never two per branch. */
  openPullRequest(req: OpenPullRequestRequest): Promise<{ pr: PullRequestInfo; created: boolean }>;
  /** Changes title, body or base (retargeting). */
  updatePullRequest(number: number, patch: { title?: string; body?: string; base?: string }): Promise<PullRequestInfo>;
  /** State, checks on the head commit and reviews, for polling. */
  getPullRequest(number: number): Promise<PullRequestStatus>;
  mergePullRequest(number: number, req: MergeRequest): Promise<{ merged: boolean; sha: string | null; message: string }>;
  addLabels(number: number, labels: string[]): Promise<void>;
  requestReviewers(number: number, reviewers: string[]): Promise<void>;
  addAssignees(number: number, assignees: string[]): Promise<void>;
  /** Line comments of a PR, of one review when `reviewId` is given. */
  listReviewComments(number: number, reviewId?: number): Promise<ReviewComment[]>;
  /** Posts a comment on the PR's conversation. */
  comment(number: number, body: string): Promise<void>;
}

/** A failed forge call, with the HTTP status when there was one (mapped to a retry category by callers). */
export class ForgeError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'ForgeError';
  }
}
