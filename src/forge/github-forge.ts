/** The GitHub forge: pull requests through the REST API with Octokit (`GITHUB_TOKEN`; `GITHUB_API_URL` for Enterprise and tests). */
import { Octokit } from '@octokit/rest';
import { InputError } from '../core/errors.js';
import {
  ForgeError,
  type CheckInfo,
  type Forge,
  type MergeRequest,
  type OpenPullRequestRequest,
  type PullRequestInfo,
  type PullRequestStatus,
  type ReviewComment,
  type ReviewInfo,
} from './forge.js';

export interface GithubForgeOptions {
  owner: string;
  name: string;
  token: string;
  /** API root; default https://api.github.com. */
  baseUrl?: string;
}

/** Check output kept per check (the fix attempt's prompt shows it). */
const MAX_SUMMARY = 3000;

/** The slice of a pull request object weft reads. */
interface GhPull {
  number: number;
  html_url: string;
  title: string;
  state: string;
  draft?: boolean | undefined;
  merged?: boolean | undefined;
  merged_at: string | null;
  closed_at: string | null;
  created_at: string;
  mergeable?: boolean | null | undefined;
  head: { ref: string; sha: string };
  base: { ref: string };
}

/** `owner/name` of a GitHub remote URL (https, ssh, or scp-like `git@host:o/r.git`), or null. */
export function parseGithubRemote(url: string): { host: string; owner: string; name: string } | null {
  const text = url.trim();
  const patterns = [
    // https://github.com/o/r(.git), with optional credentials or port
    /^https?:\/\/(?:[^@/]+@)?([^/:]+)(?::\d+)?\/([^/]+)\/([^/]+?)(?:\.git)?\/?$/i,
    // ssh://git@github.com(:22)/o/r(.git)
    /^(?:ssh|git\+ssh):\/\/(?:[^@/]+@)?([^/:]+)(?::\d+)?\/([^/]+)\/([^/]+?)(?:\.git)?\/?$/i,
    // git@github.com:o/r(.git)
    /^(?:[^@/\s]+@)?([^/:\s]+):([^/\s]+)\/([^/\s]+?)(?:\.git)?\/?$/,
  ];
  for (const re of patterns) {
    const m = re.exec(text);
    if (m && m[1] && m[2] && m[3]) return { host: m[1].toLowerCase(), owner: m[2], name: m[3] };
  }
  return null;
}

/** `OWNER/NAME` from `--github-repo`; InputError naming the flag otherwise. */
export function parseRepoSlug(slug: string): { owner: string; name: string } {
  const m = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(slug.trim());
  if (!m || !m[1] || !m[2]) throw new InputError(`--github-repo must look like OWNER/NAME, got "${slug}"`, { githubRepo: slug });
  return { owner: m[1], name: m[2].replace(/\.git$/, '') };
}

/** Pull requests on GitHub. */
export class GithubForge implements Forge {
  readonly kind = 'github' as const;
  readonly opensPullRequests = true;
  readonly repo: string;
  readonly #octokit: Octokit;
  readonly #owner: string;
  readonly #name: string;

  constructor(options: GithubForgeOptions) {
    this.#owner = options.owner;
    this.#name = options.name;
    this.repo = `${options.owner}/${options.name}`;
    const quiet = () => undefined;
    this.#octokit = new Octokit({
      auth: options.token,
      userAgent: 'weft',
      ...(options.baseUrl ? { baseUrl: options.baseUrl.replace(/\/+$/, '') } : {}),
      // Octokit's own logging could print request details; weft reports failures itself.
      log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
    });
  }

  get #r() {
    return { owner: this.#owner, repo: this.#name };
  }

  async findOpenPullRequest(head: string): Promise<PullRequestInfo | undefined> {
    const { data } = await this.#call('list pull requests', () =>
      this.#octokit.rest.pulls.list({ ...this.#r, head: `${this.#owner}:${head}`, state: 'open', per_page: 100 }),
    );
    // Filtered again here: the head filter is only a hint to the server.
    const found = (data as GhPull[]).find((p) => p.head.ref === head && p.state === 'open');
    return found && toInfo(found);
  }

  async openPullRequest(req: OpenPullRequestRequest): Promise<{ pr: PullRequestInfo; created: boolean }> {
    const existing = await this.findOpenPullRequest(req.head);
    if (existing) return { pr: existing, created: false };
    const { data } = await this.#call('open a pull request', () =>
      this.#octokit.rest.pulls.create({ ...this.#r, head: req.head, base: req.base, title: req.title, body: req.body, draft: req.draft }),
    );
    return { pr: toInfo(data as GhPull), created: true };
  }

  async updatePullRequest(number: number, patch: { title?: string; body?: string; base?: string }): Promise<PullRequestInfo> {
    const { data } = await this.#call(`update pull request #${number}`, () => this.#octokit.rest.pulls.update({ ...this.#r, pull_number: number, ...patch }));
    return toInfo(data as GhPull);
  }

  async getPullRequest(number: number): Promise<PullRequestStatus> {
    const { data } = await this.#call(`read pull request #${number}`, () => this.#octokit.rest.pulls.get({ ...this.#r, pull_number: number }));
    const info = toInfo(data as GhPull);
    const [checks, statuses, reviews] = await Promise.all([
      this.#optional(() => this.#checkRuns(info.headSha)),
      this.#optional(() => this.#statuses(info.headSha)),
      this.#optional(() => this.#reviews(number)),
    ]);
    return { ...info, checks: [...(checks ?? []), ...(statuses ?? [])], reviews: reviews ?? [] };
  }

  async mergePullRequest(number: number, req: MergeRequest): Promise<{ merged: boolean; sha: string | null; message: string }> {
    const { data } = await this.#call(`merge pull request #${number}`, () =>
      this.#octokit.rest.pulls.merge({
        ...this.#r,
        pull_number: number,
        merge_method: req.method,
        ...(req.commitTitle ? { commit_title: req.commitTitle } : {}),
        ...(req.commitMessage ? { commit_message: req.commitMessage } : {}),
        ...(req.sha ? { sha: req.sha } : {}),
      }),
    );
    return { merged: data.merged, sha: data.sha ?? null, message: data.message ?? '' };
  }

  async addLabels(number: number, labels: string[]): Promise<void> {
    if (labels.length === 0) return;
    await this.#call(`label pull request #${number}`, () => this.#octokit.rest.issues.addLabels({ ...this.#r, issue_number: number, labels }));
  }

  async requestReviewers(number: number, reviewers: string[]): Promise<void> {
    if (reviewers.length === 0) return;
    await this.#call(`request reviewers on #${number}`, () => this.#octokit.rest.pulls.requestReviewers({ ...this.#r, pull_number: number, reviewers }));
  }

  async addAssignees(number: number, assignees: string[]): Promise<void> {
    if (assignees.length === 0) return;
    await this.#call(`assign #${number}`, () => this.#octokit.rest.issues.addAssignees({ ...this.#r, issue_number: number, assignees }));
  }

  async listReviewComments(number: number, reviewId?: number): Promise<ReviewComment[]> {
    const { data } = await this.#call<{ data: unknown }>(`read review comments of #${number}`, () =>
      reviewId === undefined
        ? this.#octokit.rest.pulls.listReviewComments({ ...this.#r, pull_number: number, per_page: 100 })
        : this.#octokit.rest.pulls.listCommentsForReview({ ...this.#r, pull_number: number, review_id: reviewId, per_page: 100 }),
    );
    return (data as { path?: string; line?: number | null; body?: string; user?: { login: string } | null; pull_request_review_id?: number | null }[]).map((c) => ({
      path: c.path ?? null,
      line: c.line ?? null,
      body: c.body ?? '',
      user: c.user?.login ?? null,
      reviewId: c.pull_request_review_id ?? null,
    }));
  }

  async comment(number: number, body: string): Promise<void> {
    await this.#call(`comment on #${number}`, () => this.#octokit.rest.issues.createComment({ ...this.#r, issue_number: number, body }));
  }

  async #checkRuns(sha: string | null): Promise<CheckInfo[]> {
    if (!sha) return [];
    const { data } = await this.#call('read check runs', () => this.#octokit.rest.checks.listForRef({ ...this.#r, ref: sha, per_page: 100 }));
    return data.check_runs.map((c) => ({
      name: c.name,
      status: c.status,
      conclusion: c.conclusion ?? null,
      summary: checkSummary(c.output),
      url: c.details_url ?? c.html_url ?? null,
    }));
  }

  async #statuses(sha: string | null): Promise<CheckInfo[]> {
    if (!sha) return [];
    const { data } = await this.#call('read commit statuses', () => this.#octokit.rest.repos.getCombinedStatusForRef({ ...this.#r, ref: sha, per_page: 100 }));
    return data.statuses.map((s) => statusCheck(s.context, s.state, s.description ?? null, s.target_url ?? null));
  }

  async #reviews(number: number): Promise<ReviewInfo[]> {
    const { data } = await this.#call(`read reviews of #${number}`, () => this.#octokit.rest.pulls.listReviews({ ...this.#r, pull_number: number, per_page: 100 }));
    return data.map((r) => ({
      id: r.id,
      state: r.state,
      user: r.user?.login ?? null,
      body: r.body ?? '',
      submittedAt: r.submitted_at ? Date.parse(r.submitted_at) : null,
    }));
  }

  /** Checks, statuses and reviews are extras: a forge (or stand-in) without them still reports the PR. */
  async #optional<T>(fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ForgeError && (err.status === 404 || err.status === 501)) return undefined;
      throw err;
    }
  }

  async #call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toForgeError(what, err, this.repo);
    }
  }
}

/** A commit status as a check: `pending` is still running, `error` and `failure` failed. */
export function statusCheck(context: string, state: string, description: string | null, url: string | null): CheckInfo {
  const conclusion = state === 'pending' ? null : state === 'error' ? 'failure' : state;
  return { name: context, status: state === 'pending' ? 'pending' : 'completed', conclusion, summary: description, url };
}

/** Title, summary and text of a check's output, shortened; null when empty. */
export function checkSummary(output: { title?: string | null; summary?: string | null; text?: string | null } | null | undefined): string | null {
  if (!output) return null;
  const text = [output.title, output.summary, output.text].filter((s): s is string => typeof s === 'string' && s.trim() !== '').join('\n\n');
  if (!text) return null;
  return text.length > MAX_SUMMARY ? `${text.slice(0, MAX_SUMMARY)}…` : text;
}

function toInfo(p: GhPull): PullRequestInfo {
  const merged = p.merged === true || p.merged_at !== null;
  return {
    number: p.number,
    url: p.html_url,
    title: p.title,
    head: p.head.ref,
    base: p.base.ref,
    headSha: p.head.sha || null,
    state: p.state === 'closed' || merged ? 'closed' : 'open',
    merged,
    draft: p.draft === true,
    mergeable: p.mergeable ?? null,
    createdAt: time(p.created_at),
    mergedAt: time(p.merged_at),
    closedAt: time(p.closed_at),
  };
}

function time(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

function toForgeError(what: string, err: unknown, repo: string): ForgeError {
  const e = err as { status?: unknown; message?: unknown; response?: { headers?: Record<string, string | undefined>; data?: { message?: string; errors?: { message?: string }[] } } };
  const status = typeof e.status === 'number' ? e.status : null;
  const apiMessage = e.response?.data?.message ?? (typeof e.message === 'string' ? e.message : String(err));
  const details = (e.response?.data?.errors ?? []).map((x) => x.message).filter(Boolean).join('; ');
  const retryAfter = Number(e.response?.headers?.['retry-after']);
  const hint = status === 401 ? ' (check GITHUB_TOKEN)' : status === 404 ? ` (does ${repo} exist and can the token see it?)` : '';
  return new ForgeError(
    `GitHub: could not ${what} in ${repo}: ${status ?? 'network error'} ${apiMessage}${details ? ` (${details})` : ''}${hint}`,
    status,
    Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : null,
  );
}
