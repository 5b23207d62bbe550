/**
 * The slice of Codegen's published API (docs.codegen.com, openapi3.json) weft uses: settings, the
 * agent-run shape, status classification, and one HTTP call with its error mapping.
 */
import type { Redactor } from '../core/redact.js';
import { AgentError } from './agent-backend.js';
import { abortedError } from './run-process.js';

/** `GithubPullRequestResponse`. */
export interface CodegenPullRequest {
  id?: number | null;
  title?: string | null;
  url?: string | null;
  created_at?: string | null;
  head_branch_name?: string | null;
}

/** `AgentRunResponse` (status is an untyped string in the spec). */
export interface AgentRunResponse {
  id?: number | string;
  organization_id?: number;
  status?: string | null;
  created_at?: string | null;
  web_url?: string | null;
  result?: string | null;
  summary?: string | null;
  source_type?: string | null;
  github_pull_requests?: CodegenPullRequest[] | null;
  metadata?: Record<string, unknown> | null;
}

/** `Page[AgentRunResponse]` of `GET /v1/organizations/{org_id}/agent/runs`. */
export interface AgentRunPage {
  items?: AgentRunResponse[];
  total?: number;
  page?: number;
  size?: number;
  pages?: number;
}

/** Statuses as the spec's examples and Codegen's SDK use them; compared lower-case. */
export const CODEGEN_IN_PROGRESS = ['active', 'running', 'pending', 'evaluation'] as const;
export const CODEGEN_SUCCEEDED = ['complete', 'completed'] as const;
export const CODEGEN_FAILED = ['error', 'failed', 'cancelled', 'stopped', 'timeout', 'max_iterations_reached', 'out_of_tokens'] as const;

/** What a status means for weft: anything unknown keeps being polled, bounded by the attempt timeout. */
export function classifyStatus(status: string | null | undefined): 'running' | 'succeeded' | 'failed' | 'unknown' {
  const s = String(status ?? '').trim().toLowerCase();
  if (!s || (CODEGEN_IN_PROGRESS as readonly string[]).includes(s)) return 'running';
  if ((CODEGEN_SUCCEEDED as readonly string[]).includes(s)) return 'succeeded';
  if ((CODEGEN_FAILED as readonly string[]).includes(s)) return 'failed';
  return 'unknown';
}

/** Config keys of the `codegen:` section (weft.config.yaml). */
export interface CodegenConfig {
  agentType?: string | undefined;
  model?: string | undefined;
  repoId?: number | string | undefined;
  runsPerMinute?: number | undefined;
}

export interface CodegenSettings {
  apiKey: string;
  orgId: string;
  baseUrl: string;
  repoId: number | string | undefined;
  model: string | undefined;
  agentType: string | undefined;
  pollMs: number;
  runsPerMinute: number;
}

/** Reads the Codegen settings (environment over config); throws AgentError('validation') naming what is missing. */
export function codegenSettings(env: NodeJS.ProcessEnv = process.env, config: CodegenConfig = {}): CodegenSettings {
  const apiKey = env.CODEGEN_API_KEY || env.CODEGEN_TOKEN;
  if (!apiKey) throw new AgentError('validation', 'codegen needs an API token: set CODEGEN_API_KEY (or CODEGEN_TOKEN)');
  const orgId = env.CODEGEN_ORG_ID;
  if (!orgId) throw new AgentError('validation', 'codegen needs the organization id: set CODEGEN_ORG_ID');
  const pollRaw = env.WEFT_POLL_MS;
  const pollMs = pollRaw ? Number(pollRaw) : 10_000;
  if (!Number.isFinite(pollMs) || pollMs < 0) throw new AgentError('validation', `WEFT_POLL_MS must be a number of milliseconds >= 0, got "${pollRaw}"`);
  const repoRaw = env.CODEGEN_REPO_ID;
  const repoId = repoRaw ? (/^\d+$/.test(repoRaw) ? Number(repoRaw) : repoRaw) : config.repoId;
  // CODEGEN_API_URL is seed 002's name. Accept the base with or without `/v1`; the paths add it.
  const raw = env.CODEGEN_API_BASE_URL || env.CODEGEN_API_URL || 'https://api.codegen.com';
  const baseUrl = raw.replace(/\/+$/, '').replace(/\/v1$/, '');
  return { apiKey, orgId, baseUrl, repoId, model: config.model, agentType: config.agentType, pollMs, runsPerMinute: config.runsPerMinute ?? 10 };
}

/** Parses Retry-After (seconds or an HTTP date) into milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export interface HttpResult {
  status: number;
  text: string;
  retryAfterMs: number | undefined;
}

/** One request; a network failure is AgentError('network') (for a POST: the run may or may not exist). */
export async function codegenFetch(s: CodegenSettings, redact: Redactor, signal: AbortSignal, method: 'GET' | 'POST', url: string, body?: unknown): Promise<HttpResult> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      method,
      signal,
      headers: { authorization: `Bearer ${s.apiKey}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    text = await res.text();
  } catch (err) {
    if (signal.aborted) throw abortedError(signal);
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new AgentError('network', redact(`codegen: no answer from ${s.baseUrl}: ${cause?.code ?? cause?.message ?? (err as Error).message}`));
  }
  return { status: res.status, text, retryAfterMs: parseRetryAfter(res.headers.get('retry-after')) };
}

/** The JSON body of a 2xx answer; any other status becomes the AgentError of its category. */
export function expectOk<T>(res: HttpResult, redact: Redactor, what: string): T {
  if (res.status >= 200 && res.status < 300) {
    try {
      return JSON.parse(res.text) as T;
    } catch {
      throw new AgentError('server', `codegen: could not ${what}: the answer was not JSON`);
    }
  }
  const detail = redact(errorDetail(res.text)).slice(0, 300);
  const tail = detail ? `: ${detail}` : '';
  const status = res.status;
  if (status === 401 || status === 403) {
    throw new AgentError('auth', `codegen refused the credentials (HTTP ${status}) when trying to ${what}; check CODEGEN_API_KEY (or CODEGEN_TOKEN) and CODEGEN_ORG_ID${tail}`);
  }
  if (status === 402) throw new AgentError('quota', `codegen: payment required (HTTP 402); the organization's plan or credits do not allow more agent runs${tail}`);
  if (status === 429) throw new AgentError('rate_limit', `codegen: too many requests (HTTP 429)${tail}`, res.retryAfterMs !== undefined ? { retryAfterMs: res.retryAfterMs } : {});
  if (status >= 500) throw new AgentError('server', `codegen: server error (HTTP ${status}) when trying to ${what}${tail}`);
  if (status === 400 || status === 404 || status === 422) throw new AgentError('validation', `codegen rejected the request (HTTP ${status}) to ${what}; check CODEGEN_ORG_ID and the codegen repoId${tail}`);
  throw new AgentError('agent', `codegen: unexpected HTTP ${status} when trying to ${what}${tail}`);
}

/** The useful part of an error body: FastAPI's `detail`, the spec's `message`, or the text itself. */
function errorDetail(text: string): string {
  try {
    const doc = JSON.parse(text) as { detail?: unknown; message?: unknown };
    const d = doc.detail ?? doc.message;
    if (typeof d === 'string') return d;
    if (d !== undefined) return JSON.stringify(d);
  } catch {
    // Not JSON: the text is the detail.
  }
  return text.trim();
}
