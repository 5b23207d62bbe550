/**
 * A local stand-in for the GitHub REST endpoints weft uses, on 127.0.0.1: pull requests kept in memory,
 * labels, reviewers, assignees, comments, check runs, statuses, reviews and merging. Every request must
 * carry the token; head commits are read from a bare git repository when one is given.
 */
import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInPull {
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  draft: boolean;
  state: 'open' | 'closed';
  merged: boolean;
  mergeable: boolean | null;
  labels: string[];
  reviewers: string[];
  assignees: string[];
  comments: string[];
  createdAt: string;
  mergedAt: string | null;
  closedAt: string | null;
}

export interface StandInCheck {
  name: string;
  status: string;
  conclusion: string | null;
  output?: { title?: string; summary?: string; text?: string };
}

export interface StandInReview {
  id: number;
  state: string;
  body: string;
  user: string;
  submittedAt: string;
}

export interface StandIn {
  url: string;
  owner: string;
  repo: string;
  pulls: Map<number, StandInPull>;
  /** check runs by head sha */
  checks: Map<string, StandInCheck[]>;
  reviews: Map<number, StandInReview[]>;
  reviewComments: Map<number, { path: string; line: number; body: string; user: string; reviewId: number }[]>;
  requests: { method: string; path: string; auth: string | undefined }[];
  merges: { number: number; method: string; sha: string | null }[];
  /** The head commit of a branch (from the bare repository), or a fixed fake. */
  headSha(branch: string): string;
  close(): Promise<void>;
}

/** Starts the stand-in for `owner/repo`, requiring `Authorization: token <token>` (or Bearer). */
export async function startGithubStandIn(opts: { token: string; owner?: string; repo?: string; bareRepo?: string }): Promise<StandIn> {
  const owner = opts.owner ?? 'acme';
  const repo = opts.repo ?? 'shop';
  const pulls = new Map<number, StandInPull>();
  const checks = new Map<string, StandInCheck[]>();
  const reviews = new Map<number, StandInReview[]>();
  const reviewComments = new Map<number, { path: string; line: number; body: string; user: string; reviewId: number }[]>();
  const requests: StandIn['requests'] = [];
  const merges: StandIn['merges'] = [];
  let next = 1;

  const headSha = (branch: string): string => {
    if (opts.bareRepo) {
      try {
        return execFileSync('git', ['rev-parse', `refs/heads/${branch}`], { cwd: opts.bareRepo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      } catch {
        return '0'.repeat(40);
      }
    }
    return 'f'.repeat(40);
  };

  const base = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const pullJson = (p: StandInPull) => ({
    url: `${base()}/repos/${owner}/${repo}/pulls/${p.number}`,
    html_url: `https://github.example/${owner}/${repo}/pull/${p.number}`,
    number: p.number,
    title: p.title,
    body: p.body,
    state: p.state,
    draft: p.draft,
    merged: p.merged,
    mergeable: p.mergeable,
    mergeable_state: p.mergeable === false ? 'dirty' : 'clean',
    created_at: p.createdAt,
    updated_at: p.createdAt,
    merged_at: p.mergedAt,
    closed_at: p.closedAt,
    head: { ref: p.head, sha: headSha(p.head), label: `${owner}:${p.head}` },
    base: { ref: p.base, sha: headSha(p.base), label: `${owner}:${p.base}` },
    labels: p.labels.map((name) => ({ name })),
    requested_reviewers: p.reviewers.map((login) => ({ login })),
    assignees: p.assignees.map((login) => ({ login })),
  });

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body === undefined ? '' : JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const auth = req.headers.authorization;
    requests.push({ method: req.method ?? 'GET', path: url.pathname + url.search, auth });
    if (auth !== `token ${opts.token}` && auth !== `Bearer ${opts.token}`) return send(res, 401, { message: 'Bad credentials' });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
    const prefix = `/repos/${owner}/${repo}`;
    if (!url.pathname.startsWith(prefix + '/')) return send(res, 404, { message: 'Not Found' });
    const path = url.pathname.slice(prefix.length);
    const m = (re: RegExp) => re.exec(path);
    let r: RegExpExecArray | null;
    const pr = (n: string | undefined) => pulls.get(Number(n));

    if (req.method === 'GET' && path === '/pulls') {
      const head = url.searchParams.get('head');
      const state = url.searchParams.get('state') ?? 'open';
      const list = [...pulls.values()].filter((p) => (state === 'all' || p.state === state) && (!head || `${owner}:${p.head}` === head));
      return send(res, 200, list.map(pullJson));
    }
    if (req.method === 'POST' && path === '/pulls') {
      const head = String(body.head);
      if ([...pulls.values()].some((p) => p.head === head && p.state === 'open')) {
        return send(res, 422, { message: 'Validation Failed', errors: [{ message: `A pull request already exists for ${owner}:${head}.` }] });
      }
      const p: StandInPull = {
        number: next++, title: String(body.title), body: String(body.body ?? ''), head, base: String(body.base), draft: body.draft === true,
        state: 'open', merged: false, mergeable: true, labels: [], reviewers: [], assignees: [], comments: [], createdAt: new Date().toISOString(), mergedAt: null, closedAt: null,
      };
      pulls.set(p.number, p);
      return send(res, 201, pullJson(p));
    }
    if ((r = m(/^\/pulls\/(\d+)$/))) {
      const p = pr(r[1]);
      if (!p) return send(res, 404, { message: 'Not Found' });
      if (req.method === 'GET') return send(res, 200, pullJson(p));
      if (req.method === 'PATCH') {
        if (typeof body.title === 'string') p.title = body.title;
        if (typeof body.body === 'string') p.body = body.body;
        if (typeof body.base === 'string') p.base = body.base;
        if (body.state === 'closed') p.state = 'closed';
        return send(res, 200, pullJson(p));
      }
    }
    if (req.method === 'PUT' && (r = m(/^\/pulls\/(\d+)\/merge$/))) {
      const p = pr(r[1]);
      if (!p) return send(res, 404, { message: 'Not Found' });
      if (p.state !== 'open') return send(res, 405, { message: 'Pull Request is not mergeable' });
      merges.push({ number: p.number, method: String(body.merge_method ?? 'merge'), sha: typeof body.sha === 'string' ? body.sha : null });
      p.state = 'closed';
      p.merged = true;
      p.mergedAt = p.closedAt = new Date().toISOString();
      return send(res, 200, { sha: 'm'.repeat(40), merged: true, message: 'Pull Request successfully merged' });
    }
    if (req.method === 'POST' && (r = m(/^\/issues\/(\d+)\/labels$/))) {
      const p = pr(r[1]);
      if (!p) return send(res, 404, { message: 'Not Found' });
      for (const l of (body.labels as string[]) ?? []) if (!p.labels.includes(l)) p.labels.push(l);
      return send(res, 200, p.labels.map((name) => ({ name })));
    }
    if (req.method === 'POST' && (r = m(/^\/pulls\/(\d+)\/requested_reviewers$/))) {
      const p = pr(r[1]);
      if (!p) return send(res, 404, { message: 'Not Found' });
      p.reviewers.push(...((body.reviewers as string[]) ?? []));
      return send(res, 201, pullJson(p));
    }
    if (req.method === 'POST' && (r = m(/^\/issues\/(\d+)\/assignees$/))) {
      const p = pr(r[1]);
      if (!p) return send(res, 404, { message: 'Not Found' });
      p.assignees.push(...((body.assignees as string[]) ?? []));
      return send(res, 201, pullJson(p));
    }
    if (req.method === 'POST' && (r = m(/^\/issues\/(\d+)\/comments$/))) {
      const p = pr(r[1]);
      if (!p) return send(res, 404, { message: 'Not Found' });
      p.comments.push(String(body.body));
      return send(res, 201, { id: p.comments.length, body: body.body });
    }
    if (req.method === 'GET' && (r = m(/^\/commits\/([^/]+)\/check-runs$/))) {
      const list = checks.get(decodeURIComponent(r[1]!)) ?? [];
      return send(res, 200, {
        total_count: list.length,
        check_runs: list.map((c, i) => ({ id: i + 1, name: c.name, status: c.status, conclusion: c.conclusion, output: { title: null, summary: null, text: null, ...c.output }, details_url: `https://ci.example/${i + 1}`, html_url: null })),
      });
    }
    if (req.method === 'GET' && (r = m(/^\/commits\/([^/]+)\/status$/))) return send(res, 200, { state: 'success', statuses: [], total_count: 0 });
    if (req.method === 'GET' && (r = m(/^\/pulls\/(\d+)\/reviews$/))) {
      return send(res, 200, (reviews.get(Number(r[1])) ?? []).map((v) => ({ id: v.id, state: v.state, body: v.body, user: { login: v.user }, submitted_at: v.submittedAt })));
    }
    if (req.method === 'GET' && (r = m(/^\/pulls\/(\d+)\/(?:reviews\/(\d+)\/)?comments$/))) {
      const all = reviewComments.get(Number(r[1])) ?? [];
      const list = r[2] ? all.filter((c) => c.reviewId === Number(r![2])) : all;
      return send(res, 200, list.map((c, i) => ({ id: i + 1, path: c.path, line: c.line, body: c.body, user: { login: c.user }, pull_request_review_id: c.reviewId })));
    }
    return send(res, 404, { message: `Not Found: ${req.method} ${path}` });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, { message: String(err) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: base(),
    owner,
    repo,
    pulls,
    checks,
    reviews,
    reviewComments,
    requests,
    merges,
    headSha,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
