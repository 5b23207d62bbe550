/** The codegen backend against a stand-in that follows Codegen's published API (test/helpers/codegen-stand-in.ts). */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { AgentError, type AgentRequest, type AgentResult } from '../src/agents/agent-backend.js';
import { classifyStatus } from '../src/agents/codegen-api.js';
import { createCodegenAgent, parseRetryAfter, type CodegenOptions } from '../src/agents/codegen-agent.js';
import type { TaskSpec } from '../src/core/task.js';
import { startCodegenStandIn, type StandInOptions } from './helpers/codegen-stand-in.js';

const TOKEN = 'sk-test-SECRET-7f3a9c0d1e';

const task = (id = 'API-1.2'): TaskSpec => ({
  id, title: `Task ${id}`, description: '', type: 'feature', typeReason: '', priority: 'medium', status: 'pending', dependsOn: [],
  estimateMinutes: 1, files: [], acceptanceCriteria: [], requirementId: 'API-1', requirementTitle: 'API', source: { file: 'R.md', line: 1 },
});

let orgs = 100;
const stands: { close: () => Promise<void> }[] = [];
after(() => Promise.all(stands.map((s) => s.close())));

/** A fresh stand-in with its own organization (rate state is per organization and process). */
async function standIn(opts: Partial<StandInOptions> = {}) {
  const org = String(++orgs);
  const s = await startCodegenStandIn({ token: TOKEN, org, ...opts });
  stands.push(s);
  return { ...s, org, env: { CODEGEN_API_KEY: TOKEN, CODEGEN_ORG_ID: org, CODEGEN_API_BASE_URL: s.url, WEFT_POLL_MS: '10' } };
}

function request(over: Partial<AgentRequest> = {}): AgentRequest & { logs: string[] } {
  const logs: string[] = [];
  return { runId: 'run-9', task: task(), attempt: 1, prompt: 'Build it', worktree: null, branch: null, signal: new AbortController().signal, log: (c) => logs.push(c), logs, ...over };
}

/** One attempt; whatever happens, the token appears nowhere weft keeps or shows. */
async function attempt(env: Record<string, string>, opts: CodegenOptions = {}, over: Partial<AgentRequest> = {}) {
  const req = request(over);
  let result: AgentResult | undefined;
  let error: unknown;
  try {
    result = await createCodegenAgent({ env, ...opts }).run(req);
  } catch (err) {
    error = err;
  }
  const everything = JSON.stringify({ result, logs: req.logs, message: (error as Error | undefined)?.message, output: (error as AgentError | undefined)?.output, data: (error as AgentError | undefined)?.data });
  assert.ok(!everything.includes(TOKEN), `token leaked: ${everything}`);
  return { result, error, logs: req.logs };
}

describe('codegen agent (stand-in of the published API)', () => {
  it('creates a tagged run with the configured agent_type, model and repo_id, polls lower-case statuses to completion, keeps every PR field', async () => {
    const s = await standIn();
    // CODEGEN_API_URL (seed 002's name) works like CODEGEN_API_BASE_URL.
    const env = { CODEGEN_API_KEY: TOKEN, CODEGEN_ORG_ID: s.org, CODEGEN_API_URL: `${s.url}/v1`, WEFT_POLL_MS: '10' };
    const { result, error } = await attempt(env, { config: { agentType: 'claude_code', model: 'claude-sonnet-4-5', repoId: 42 } });
    assert.equal(error, undefined);
    assert.equal(result!.prUrl, 'https://github.com/acme/shop/pull/101');
    assert.equal(result!.webUrl, 'https://codegen.test/agent/trace/1');
    assert.equal(result!.summary, 'summary of run 1');
    assert.deepEqual(result!.data?.pullRequests, [{ id: 9001, url: 'https://github.com/acme/shop/pull/101', title: 'PR of run 1', headBranch: 'codegen-bot/run-1', createdAt: (result!.data!.pullRequests as { createdAt: string }[])[0]!.createdAt }]);
    assert.equal(result!.usage?.sessionId, '1');
    const run = s.runs.get(1)!;
    assert.deepEqual(run.body, {
      prompt: 'Build it',
      metadata: { weft_run_id: 'run-9', weft_task_id: 'API-1.2', weft_task_title: 'Task API-1.2', weft_attempt: 1 },
      repo_id: 42,
      model: 'claude-sonnet-4-5',
      agent_type: 'claude_code',
    });
    assert.equal(s.creates.length, 1);
  });

  it('statuses are compared case-insensitively against the published sets', () => {
    for (const st of ['ACTIVE', 'running', 'Pending', 'evaluation', '']) assert.equal(classifyStatus(st), 'running', st);
    for (const st of ['COMPLETE', 'completed']) assert.equal(classifyStatus(st), 'succeeded', st);
    for (const st of ['error', 'FAILED', 'cancelled', 'stopped', 'timeout', 'max_iterations_reached', 'OUT_OF_TOKENS']) assert.equal(classifyStatus(st), 'failed', st);
    assert.equal(classifyStatus('paused_for_review'), 'unknown');
  });

  it('a failed run fails the attempt with its result', async () => {
    const s = await standIn({ script: () => ['pending', 'max_iterations_reached'], result: () => 'Tests did not pass: 3 failures' });
    const { error } = await attempt(s.env);
    assert.ok(error instanceof AgentError);
    assert.equal(error.category, 'agent');
    assert.equal(error.message, 'codegen run 1 ended max_iterations_reached: Tests did not pass: 3 failures');
    assert.equal(error.output, 'Tests did not pass: 3 failures');
  });

  it('an unknown status keeps being polled until the attempt times out', async () => {
    const s = await standIn({ script: () => ['active', 'paused_for_review'] });
    const controller = new AbortController();
    // The attempt's timeout fires only once the run has been read three times past its unknown status.
    const watch = setInterval(() => {
      if ((s.runs.get(1)?.polls ?? 0) >= 4) controller.abort('timeout');
    }, 5);
    const { error, logs } = await attempt(s.env, {}, { signal: controller.signal });
    clearInterval(watch);
    assert.ok(error instanceof AgentError);
    assert.equal(error.category, 'timeout');
    assert.ok(controller.signal.aborted, 'the attempt ended only through its timeout');
    assert.match(logs.join(''), /unknown status/);
  });

  it('a creation whose answer was lost is found by its metadata, not created (and paid for) twice', async () => {
    const s = await standIn();
    s.state.loseNextCreate = true;
    const { result, error, logs } = await attempt(s.env);
    assert.equal(error, undefined, String(error));
    assert.equal(s.state.lostCreates, 1);
    assert.equal(s.creates.length, 1, 'one paid run');
    assert.equal(result!.data?.codegenRunId, '1');
    assert.match(logs.join(''), /found run 1 by its metadata/);
    // Another attempt of the same task is a new run: its metadata differs.
    const again = await attempt(s.env, {}, { attempt: 2 });
    assert.equal(again.result!.data?.codegenRunId, '2');
    assert.equal(s.creates.length, 2);
  });

  it('429 without Retry-After on creation: waits out the whole window, then creates', async () => {
    const s = await standIn({ createLimit: 1, createWindowMs: 2000 });
    const env = s.env;
    const first = attempt(env, { runsPerMinute: 5, windowMs: 2000 }, { task: task('A') });
    const second = attempt(env, { runsPerMinute: 5, windowMs: 2000 }, { task: task('B') });
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a.error, undefined);
    assert.equal(b.error, undefined);
    assert.equal(s.state.create429, 1);
    const posts = s.seen.filter((x) => x.method === 'POST');
    assert.equal(posts.length, 3);
    assert.ok(posts[2]!.at - posts[1]!.at >= 1950, `retried after ${posts[2]!.at - posts[1]!.at} ms`);
    assert.equal(s.creates.length, 2);
  });

  it('many runs share one read budget and one list call per poll round; the read limit is never exceeded', async () => {
    const s = await standIn({ readLimit: 8, readWindowMs: 1000, script: () => ['active', 'running', 'running', 'running', 'completed'] });
    // One read of headroom: on a loaded machine requests booked in one window may arrive bunched in the next.
    const opts: CodegenOptions = { readsPerWindow: 7, readWindowMs: 1000 };
    const results = await Promise.all(['A', 'B', 'C', 'D', 'E'].map((id) => attempt(s.env, opts, { task: task(id) })));
    for (const r of results) assert.equal(r.error, undefined, String(r.error));
    assert.equal(s.creates.length, 5);
    assert.equal(s.state.read429, 0, 'no read was refused');
    assert.ok(s.peakReads() <= 8, `peak ${s.peakReads()} reads in one window`);
    assert.ok(s.state.listCalls >= 1, 'active runs were read with the list call');
    const gets = s.seen.filter((x) => x.method === 'GET');
    assert.ok(gets.length < 5 * 4, `${gets.length} reads for 5 runs of 4 polls each`);
  });

  it('429 without Retry-After on a poll holds every read for the window', async () => {
    const s = await standIn();
    s.state.force429 = 1;
    const { result, error } = await attempt(s.env, { readWindowMs: 600 });
    assert.equal(error, undefined);
    assert.ok(result);
    const gets = s.seen.filter((x) => x.method === 'GET');
    assert.equal(gets[0]!.status, 429);
    assert.ok(gets[1]!.at - gets[0]!.at >= 550, `next read after ${gets[1]!.at - gets[0]!.at} ms`);
  });

  it('fails fast on a refused token (auth), never echoing it', async () => {
    const s = await standIn();
    const auth = await attempt({ ...s.env, CODEGEN_API_KEY: 'sk-wrong-token-123456' });
    assert.ok(auth.error instanceof AgentError);
    assert.equal(auth.error.category, 'auth');
    assert.match(auth.error.message, /CODEGEN_API_KEY/);
  });

  it('needs the key and the organization, and names the missing one', async () => {
    const req = request();
    await assert.rejects(createCodegenAgent({ env: { CODEGEN_ORG_ID: '1' } }).run(req), (e: unknown) => e instanceof AgentError && e.category === 'validation' && /CODEGEN_API_KEY/.test(e.message));
    await assert.rejects(createCodegenAgent({ env: { CODEGEN_TOKEN: TOKEN } }).run(req), (e: unknown) => e instanceof AgentError && e.category === 'validation' && /CODEGEN_ORG_ID/.test(e.message) && !e.message.includes(TOKEN));
  });

  it('parses Retry-After in seconds and as an HTTP date', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter(new Date(10_000 + 5000).toUTCString(), 10_000), 5000);
    assert.equal(parseRetryAfter(null), undefined);
    assert.equal(parseRetryAfter('soon'), undefined);
  });
});
