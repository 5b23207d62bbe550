/**
 * The `codegen` backend: Codegen's hosted agent API as its OpenAPI document publishes it. Creates one
 * agent run per attempt (tagged with weft's run, task and attempt in `metadata`, so a creation whose
 * answer was lost is found again instead of paid for twice), waits for it through the organization's
 * shared poller, and keeps its result, web URL and pull requests. Works remotely: no worktree.
 */
import { createRedactor, type Redactor } from '../core/redact.js';
import type { Json } from '../store/records.js';
import { AgentError, type AgentBackend, type AgentRequest, type AgentResult } from './agent-backend.js';
import { classifyStatus, codegenFetch, codegenSettings, expectOk, type AgentRunResponse, type CodegenConfig, type CodegenSettings } from './codegen-api.js';
import { sharedOrg, type CodegenOrg } from './codegen-org.js';
import { delay } from './rate-gate.js';

export { parseRetryAfter, codegenSettings } from './codegen-api.js';

export interface CodegenOptions {
  /** Where CODEGEN_* and WEFT_POLL_MS are read from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The config's `codegen:` section (agentType, model, repoId, runsPerMinute). */
  config?: CodegenConfig;
  /** Creation pace; default config `codegen.runsPerMinute`, else Codegen's documented 10 a minute. */
  runsPerMinute?: number;
  /** Length of the creation window; tests shorten it. */
  windowMs?: number;
  /** Reads (polls, look-ups) per read window: Codegen documents 60 per 30 s. */
  readsPerWindow?: number;
  readWindowMs?: number;
  /** How often a 429 on creation is waited out before the attempt fails as `rate_limit`. */
  maxRateLimitWaits?: number;
  /** Consecutive network/5xx errors tolerated while polling (the run keeps going remotely meanwhile). */
  maxPollErrors?: number;
}

const KEEP_CHARS = 4000;

/** Creates the Codegen backend. Settings are read per attempt, so a missing key fails the attempt as `validation`. */
export function createCodegenAgent(options: CodegenOptions = {}): AgentBackend {
  return { name: 'codegen', needsWorktree: false, run: (req) => runCodegen(options, req) };
}

/** The metadata weft tags each agent run with (the spec's free-form `metadata` object). */
export function runMetadata(req: Pick<AgentRequest, 'runId' | 'attempt'> & { task: { id: string; title: string } }) {
  return { weft_run_id: req.runId, weft_task_id: req.task.id, weft_task_title: req.task.title, weft_attempt: req.attempt };
}

/** Whether an agent run carries this attempt's tags. */
function isOurs(run: AgentRunResponse, tags: ReturnType<typeof runMetadata>): boolean {
  const m = run.metadata;
  return !!m && String(m.weft_run_id) === tags.weft_run_id && String(m.weft_task_id) === tags.weft_task_id && String(m.weft_attempt) === String(tags.weft_attempt);
}

async function runCodegen(options: CodegenOptions, req: AgentRequest): Promise<AgentResult> {
  const s = codegenSettings(options.env ?? process.env, options.config);
  // The token must never leave this function in a message, a log line or an output tail.
  const redact = createRedactor([s.apiKey]);
  const org = sharedOrg(s, redact, {
    runsPerMinute: options.runsPerMinute ?? s.runsPerMinute,
    createWindowMs: options.windowMs ?? 60_000,
    readsPerWindow: options.readsPerWindow ?? 60,
    readWindowMs: options.readWindowMs ?? 30_000,
  });
  const log = (line: string) => req.log(redact(line) + '\n');

  const created = await createRun(s, org, redact, options, req, log);
  if (created.id === undefined || created.id === null) throw new AgentError('server', 'codegen created a run but returned no id');
  const id = String(created.id);
  log(`codegen run ${id}${created.web_url ? `: ${created.web_url}` : ''}`);

  let run = created;
  let lastStatus = '';
  let errors = 0;
  for (;;) {
    const status = String(run.status ?? '');
    const kind = classifyStatus(status);
    if (status.toLowerCase() !== lastStatus) {
      lastStatus = status.toLowerCase();
      log(`codegen run ${id}: ${status || 'pending'}${kind === 'unknown' ? ' (an unknown status: waiting, up to the attempt timeout)' : ''}`);
    }
    if (kind === 'succeeded') return success(id, run, redact, s);
    if (kind === 'failed') {
      const why = run.result ?? run.summary ?? 'no result given';
      throw new AgentError('agent', redact(`codegen run ${id} ended ${status}: ${why}`).slice(0, 2000), {
        output: redact(why).slice(-KEEP_CHARS),
        data: { codegenRunId: id, status, webUrl: run.web_url ?? null },
        usage: usageOf(id, s),
      });
    }
    try {
      run = await org.next(id, s.pollMs, req.signal);
      errors = 0;
    } catch (err) {
      if (req.signal.aborted) throw err;
      const category = err instanceof AgentError ? err.category : 'network';
      // The run goes on remotely meanwhile: a few transient errors in a row are waited out.
      if ((category === 'network' || category === 'server') && ++errors <= (options.maxPollErrors ?? 5)) continue;
      throw err;
    }
  }
}

/**
 * Creates the attempt's agent run exactly once. After an answer that may hide a created run (the
 * connection dropped, a 5xx), the run is looked up by its metadata before anything is created again.
 */
async function createRun(s: CodegenSettings, org: CodegenOrg, redact: Redactor, options: CodegenOptions, req: AgentRequest, log: (l: string) => void): Promise<AgentRunResponse> {
  const tags = runMetadata(req);
  const body: { [key: string]: Json } = { prompt: req.prompt, metadata: tags };
  if (s.repoId !== undefined) body.repo_id = s.repoId;
  if (s.model) body.model = s.model;
  if (s.agentType) body.agent_type = s.agentType;
  let unsure = 0;
  let limited = 0;
  for (;;) {
    if (unsure > 0) {
      const found = await findRun(org, tags, req.signal);
      if (found) {
        log(`codegen: the creation's answer was lost; found run ${String(found.id)} by its metadata (not created again)`);
        return found;
      }
    }
    await org.createGate.reserveStart(req.signal);
    let res;
    try {
      res = await codegenFetch(s, redact, req.signal, 'POST', `${org.orgUrl}/agent/run`, body);
    } catch (err) {
      if (!(err instanceof AgentError) || err.category !== 'network' || ++unsure > 3) throw err;
      log(`codegen: ${err.message}; looking the run up before creating it again`);
      continue;
    }
    if (res.status === 429) {
      const waitMs = org.hold(org.createGate, res.retryAfterMs);
      if (++limited > (options.maxRateLimitWaits ?? 5)) throw new AgentError('rate_limit', 'codegen kept answering 429 Too Many Requests', { retryAfterMs: waitMs });
      log(`codegen: rate limited (429); holding back run creations for ${Math.ceil(waitMs / 1000)}s`);
      continue;
    }
    if (res.status >= 500 && ++unsure <= 3) {
      log(`codegen: server error (HTTP ${res.status}) on creation; looking the run up before creating it again`);
      await delay(Math.min(5000, 500 * unsure), req.signal);
      continue;
    }
    return expectOk<AgentRunResponse>(res, redact, 'create the agent run');
  }
}

/** The agent run tagged with this attempt's metadata, among the organization's newest API runs. */
async function findRun(org: CodegenOrg, tags: ReturnType<typeof runMetadata>, signal: AbortSignal): Promise<AgentRunResponse | undefined> {
  // Newest first: a run created moments ago is on the first page (two pages cover a busy organization).
  for (const skip of [0, 100]) {
    const items = await org.listRuns(signal, skip);
    const hit = items.find((r) => isOurs(r, tags));
    if (hit || items.length < 100) return hit;
  }
  return undefined;
}

function usageOf(id: string, s: CodegenSettings) {
  // Codegen's API reports no tokens or cost; the run id is the session a human can look up.
  return { sessionId: id, ...(s.model ? { model: s.model } : {}) };
}

function success(id: string, run: AgentRunResponse, redact: Redactor, s: CodegenSettings): AgentResult {
  const prs = (run.github_pull_requests ?? []).filter((p) => p && typeof p === 'object');
  const prUrl = prs.find((p) => typeof p.url === 'string' && p.url)?.url ?? undefined;
  const result = run.result ? redact(run.result) : undefined;
  const summary = run.summary ? redact(run.summary) : undefined;
  const data: { [key: string]: Json } = { codegenRunId: id, status: String(run.status ?? '') };
  if (result) data.result = result.slice(0, KEEP_CHARS);
  if (summary) data.summary = summary.slice(0, KEEP_CHARS);
  if (prs.length) {
    data.pullRequests = prs.map((p) => ({
      id: typeof p.id === 'number' ? p.id : null,
      url: p.url ?? null,
      title: p.title ? redact(p.title) : null,
      headBranch: p.head_branch_name ?? null,
      createdAt: p.created_at ?? null,
    }));
  }
  return {
    summary: (summary ?? result)?.slice(0, KEEP_CHARS),
    output: result?.slice(-KEEP_CHARS),
    ...(prUrl ? { prUrl } : {}),
    ...(run.web_url ? { webUrl: run.web_url } : {}),
    data,
    usage: usageOf(id, s),
  };
}
