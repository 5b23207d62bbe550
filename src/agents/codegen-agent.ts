/**
 * The `codegen` backend: Codegen's hosted agent API. Creates an agent run, polls it to the end, and
 * keeps its result, web URL and pull request. Works remotely, so no worktree is needed.
 */
import { createRedactor } from '../core/redact.js';
import type { Json } from '../store/records.js';
import { AgentError, type AgentBackend, type AgentRequest, type AgentResult } from './agent-backend.js';
import { delay, sharedGate, type RateGate } from './rate-gate.js';
import { abortedError } from './run-process.js';

export interface CodegenOptions {
  /** Where CODEGEN_* and WEFT_POLL_MS are read from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Codegen's documented limit is 10 agent runs a minute. */
  runsPerMinute?: number;
  /** Length of the rate window; tests shorten it. */
  windowMs?: number;
  /** How often a 429 on creation is waited out before the attempt fails as `rate_limit`. */
  maxRateLimitWaits?: number;
  /** Consecutive network/5xx errors tolerated while polling (the run keeps going remotely meanwhile). */
  maxPollErrors?: number;
}

interface Settings {
  apiKey: string;
  orgId: string;
  baseUrl: string;
  repoId: number | string | undefined;
  pollMs: number;
}

interface AgentRunResponse {
  id?: number | string;
  status?: string | null;
  web_url?: string | null;
  result?: string | null;
  summary?: string | null;
  github_pull_requests?: { url?: string | null }[] | null;
}

const SUCCEEDED = new Set(['COMPLETE', 'COMPLETED']);
const FAILED = new Set(['FAILED', 'ERROR', 'CANCELLED', 'STOPPED', 'TIMEOUT', 'MAX_ITERATIONS_REACHED', 'OUT_OF_TOKENS']);
const KEEP_CHARS = 4000;

/** Reads the Codegen settings; throws AgentError('validation') naming the missing variable. */
export function codegenSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const apiKey = env.CODEGEN_API_KEY || env.CODEGEN_TOKEN;
  if (!apiKey) throw new AgentError('validation', 'codegen needs an API token: set CODEGEN_API_KEY (or CODEGEN_TOKEN)');
  const orgId = env.CODEGEN_ORG_ID;
  if (!orgId) throw new AgentError('validation', 'codegen needs the organization id: set CODEGEN_ORG_ID');
  const pollRaw = env.WEFT_POLL_MS;
  const pollMs = pollRaw ? Number(pollRaw) : 10_000;
  if (!Number.isFinite(pollMs) || pollMs < 0) throw new AgentError('validation', `WEFT_POLL_MS must be a number of milliseconds >= 0, got "${pollRaw}"`);
  const repoRaw = env.CODEGEN_REPO_ID;
  const repoId = repoRaw ? (/^\d+$/.test(repoRaw) ? Number(repoRaw) : repoRaw) : undefined;
  // Accept the base with or without the version segment; the paths below add `/v1`.
  const baseUrl = (env.CODEGEN_API_BASE_URL || 'https://api.codegen.com').replace(/\/+$/, '').replace(/\/v1$/, '');
  return { apiKey, orgId, baseUrl, repoId, pollMs };
}

/** Parses Retry-After (seconds or an HTTP date) into milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Creates the Codegen backend. Settings are read per attempt, so a missing key fails the attempt as `validation`. */
export function createCodegenAgent(options: CodegenOptions = {}): AgentBackend {
  return { name: 'codegen', needsWorktree: false, run: (req) => runCodegen(options, req) };
}

async function runCodegen(options: CodegenOptions, req: AgentRequest): Promise<AgentResult> {
  const s = codegenSettings(options.env ?? process.env);
  const limit = options.runsPerMinute ?? 10;
  const windowMs = options.windowMs ?? 60_000;
  const gate = sharedGate(`${s.baseUrl}|${s.orgId}`, limit, windowMs);
  // The token must never leave this function in a message, a log line or an output tail.
  const redact = createRedactor([s.apiKey]);
  const log = (line: string) => req.log(redact(line) + '\n');
  const runsUrl = `${s.baseUrl}/v1/organizations/${encodeURIComponent(s.orgId)}/agent/run`;
  const call = (method: 'GET' | 'POST', url: string, body?: unknown) => request(s, redact, req.signal, method, url, body);
  const fallbackWait = Math.ceil(windowMs / limit);

  const metadata = { weft_run_id: req.runId, weft_task_id: req.task.id, weft_task_title: req.task.title, weft_attempt: req.attempt };
  const body = { prompt: req.prompt, metadata, ...(s.repoId !== undefined ? { repo_id: s.repoId } : {}) };
  let created: AgentRunResponse | undefined;
  for (let waits = 0; !created; waits++) {
    await gate.reserveStart(req.signal);
    const res = await call('POST', runsUrl, body);
    if (res.status !== 429) {
      created = expectOk(res, redact, 'create the agent run');
      break;
    }
    const waitMs = holdFor429(gate, res.retryAfterMs ?? fallbackWait);
    if (waits >= (options.maxRateLimitWaits ?? 5)) {
      throw new AgentError('rate_limit', `codegen kept answering 429 Too Many Requests`, { retryAfterMs: waitMs });
    }
    log(`codegen: rate limited (429); holding back all requests for ${Math.ceil(waitMs / 1000)}s`);
  }
  if (created.id === undefined || created.id === null) throw new AgentError('server', 'codegen created a run but returned no id');
  const id = String(created.id);
  log(`codegen run ${id} created${created.web_url ? `: ${created.web_url}` : ''}`);

  let run: AgentRunResponse = created;
  let lastStatus = '';
  let errors = 0;
  for (;;) {
    const status = String(run.status ?? '').toUpperCase();
    if (status !== lastStatus) {
      log(`codegen run ${id}: ${status || 'PENDING'}`);
      lastStatus = status;
    }
    if (SUCCEEDED.has(status)) return success(id, status, run, redact);
    if (FAILED.has(status)) {
      const why = run.result ?? run.summary ?? 'no result given';
      throw new AgentError('agent', redact(`codegen run ${id} ended ${status}: ${why}`).slice(0, 2000), {
        output: redact(why).slice(-KEEP_CHARS),
        data: { codegenRunId: id, status, webUrl: run.web_url ?? null },
      });
    }
    await delay(s.pollMs, req.signal);
    await gate.pass(req.signal);
    const res = await call('GET', `${runsUrl}/${encodeURIComponent(id)}`).catch((err: unknown) => {
      if (err instanceof AgentError && err.category === 'network' && ++errors <= (options.maxPollErrors ?? 5)) return null;
      throw err;
    });
    if (res === null) continue;
    if (res.status === 429) {
      holdFor429(gate, res.retryAfterMs ?? fallbackWait);
      continue;
    }
    if (res.status >= 500 && ++errors <= (options.maxPollErrors ?? 5)) continue;
    run = expectOk(res, redact, `read agent run ${id}`);
    errors = 0;
  }
}

function holdFor429(gate: RateGate, waitMs: number): number {
  const capped = Math.min(waitMs, 10 * 60_000);
  gate.holdUntil(Date.now() + capped);
  return capped;
}

function success(id: string, status: string, run: AgentRunResponse, redact: (s: string) => string): AgentResult {
  const prUrl = run.github_pull_requests?.find((p) => typeof p?.url === 'string' && p.url)?.url ?? undefined;
  const result = run.result ? redact(run.result) : undefined;
  const summary = run.summary ? redact(run.summary) : undefined;
  const data: { [key: string]: Json } = { codegenRunId: id, status };
  if (result) data.result = result.slice(0, KEEP_CHARS);
  if (summary) data.summary = summary.slice(0, KEEP_CHARS);
  return {
    summary: (summary ?? result)?.slice(0, KEEP_CHARS),
    output: result?.slice(-KEEP_CHARS),
    ...(prUrl ? { prUrl } : {}),
    ...(run.web_url ? { webUrl: run.web_url } : {}),
    data,
  };
}

interface HttpResult {
  status: number;
  text: string;
  retryAfterMs: number | undefined;
}

async function request(s: Settings, redact: (t: string) => string, signal: AbortSignal, method: 'GET' | 'POST', url: string, body?: unknown): Promise<HttpResult> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      signal,
      headers: { authorization: `Bearer ${s.apiKey}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (err) {
    if (signal.aborted) throw abortedError(signal);
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new AgentError('network', redact(`codegen: cannot reach ${s.baseUrl}: ${cause?.code ?? cause?.message ?? (err as Error).message}`));
  }
  const text = await res.text().catch(() => '');
  return { status: res.status, text, retryAfterMs: parseRetryAfter(res.headers.get('retry-after')) };
}

function expectOk(res: HttpResult, redact: (t: string) => string, what: string): AgentRunResponse {
  if (res.status >= 200 && res.status < 300) {
    try {
      return JSON.parse(res.text) as AgentRunResponse;
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
  if (status === 429) throw new AgentError('rate_limit', `codegen: too many requests (HTTP 429)${tail}`, { retryAfterMs: res.retryAfterMs });
  if (status >= 500) throw new AgentError('server', `codegen: server error (HTTP ${status}) when trying to ${what}${tail}`);
  if (status === 400 || status === 404 || status === 422) throw new AgentError('validation', `codegen rejected the request (HTTP ${status}) to ${what}; check CODEGEN_ORG_ID and CODEGEN_REPO_ID${tail}`);
  throw new AgentError('agent', `codegen: unexpected HTTP ${status} when trying to ${what}${tail}`);
}

/** The useful part of an error body: FastAPI's `detail`, a `message`, or the text itself. */
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
