/** `http:` — one request, for notifications and integrations; network errors and 5xx/429 are retryable. */
import type { Json } from '../../store/records.js';
import { interpolate, interpolateText } from '../expressions.js';
import { StepError, type StepRunner } from '../step-runner.js';

/** Sends a request; resolves with status and body (JSON when it parses); throws StepError on failure. */
export async function sendRequest(req: { url: string; method?: string; headers?: Record<string, string>; body?: Json }, signal: AbortSignal): Promise<{ status: number; body: Json }> {
  const method = req.method ?? (req.body === undefined ? 'GET' : 'POST');
  const headers: Record<string, string> = { ...(req.headers ?? {}) };
  let body: string | undefined;
  if (req.body !== undefined && method !== 'GET' && method !== 'HEAD') {
    body = typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    if (typeof req.body !== 'string' && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(req.url, { method, headers, ...(body !== undefined ? { body } : {}), signal });
  } catch (err) {
    if (signal.aborted) throw err;
    throw new StepError('network', `${method} ${req.url}: ${(err as Error).message}`);
  }
  const text = await res.text();
  let parsed: Json = text;
  try {
    parsed = text ? (JSON.parse(text) as Json) : null;
  } catch {
    parsed = text.slice(0, 64 * 1024);
  }
  const output = { status: res.status, body: parsed };
  if (res.status === 429) throw new StepError('rate_limit', `${method} ${req.url}: 429`, output);
  if (res.status >= 500) throw new StepError('server', `${method} ${req.url}: ${res.status}`, output);
  if (res.status === 401 || res.status === 403) throw new StepError('auth', `${method} ${req.url}: ${res.status}`, output);
  if (res.status >= 400) throw new StepError('validation', `${method} ${req.url}: ${res.status}`, output);
  return output;
}

/** The `http` step runner. */
export const httpStep: StepRunner = async (ctx) => {
  const h = ctx.step.http!;
  const headers = Object.fromEntries(Object.entries(h.headers ?? {}).map(([k, v]) => [k, interpolateText(v, ctx.expr)]));
  const out = await sendRequest(
    { url: interpolateText(h.url, ctx.expr), ...(h.method ? { method: h.method } : {}), headers, ...(h.body !== undefined ? { body: interpolate(h.body, ctx.expr) } : {}) },
    ctx.signal,
  );
  return { kind: 'done', output: out };
};
