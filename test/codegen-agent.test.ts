import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AgentError, type AgentResult } from '../src/agents/agent-backend.js';
import { createCodegenAgent, parseRetryAfter, type CodegenOptions } from '../src/agents/codegen-agent.js';
import { sharedGate } from '../src/agents/rate-gate.js';
import type { TaskSpec } from '../src/core/task.js';

const TOKEN = 'sk-test-SECRET-7f3a9c';

interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  body: unknown;
  at: number;
}
type Handler = (req: Seen, res: ServerResponse, n: number) => void;

const task: TaskSpec = {
  id: 'API-1.2', title: 'Add the endpoint', description: '', type: 'feature', typeReason: '', priority: 'medium', status: 'pending', dependsOn: [],
  estimateMinutes: 1, files: [], acceptanceCriteria: [], requirementId: 'API-1', requirementTitle: 'API', source: { file: 'R.md', line: 1 },
};

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

describe('codegen agent (local stand-in of the API)', () => {
  let server: Server;
  let base: string;
  let handler: Handler;
  let seen: Seen[] = [];
  let org = 0;

  before(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const s: Seen = { method: req.method!, url: req.url!, auth: req.headers.authorization, body: raw ? JSON.parse(raw) : undefined, at: Date.now() };
        seen.push(s);
        handler(s, res, seen.length);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  /** Runs one attempt against the stand-in; every test gets its own organization, so rate gates do not leak between tests. */
  async function attempt(h: Handler, opts: CodegenOptions = {}, env: Record<string, string> = {}) {
    handler = h;
    seen = [];
    const orgId = String(++org);
    const logs: string[] = [];
    const agent = createCodegenAgent({ env: { CODEGEN_API_KEY: TOKEN, CODEGEN_ORG_ID: orgId, CODEGEN_API_BASE_URL: base, WEFT_POLL_MS: '10', ...env }, ...opts });
    assert.equal(agent.needsWorktree, false);
    let result: AgentResult | undefined;
    let error: unknown;
    try {
      result = await agent.run({ runId: 'run-9', task, attempt: 1, prompt: 'Build it', worktree: null, branch: null, signal: new AbortController().signal, log: (c) => logs.push(c) });
    } catch (err) {
      error = err;
    }
    // Whatever happened, the token appears nowhere weft keeps or shows.
    const everything = JSON.stringify({ result, logs, message: (error as Error | undefined)?.message, output: (error as AgentError | undefined)?.output, data: (error as AgentError | undefined)?.data });
    assert.ok(!everything.includes(TOKEN), `token leaked: ${everything}`);
    return { result, error, logs, orgId };
  }

  it('creates a run, polls it to COMPLETED and records the PR url', async () => {
    const { result, error, orgId } = await attempt((s, res, n) => {
      assert.equal(s.auth, `Bearer ${TOKEN}`);
      if (s.method === 'POST') return json(res, 200, { id: 77, status: 'ACTIVE', web_url: 'https://codegen.com/agent/trace/77' });
      json(res, 200, n < 3 ? { id: 77, status: 'running' } : {
        id: 77, status: 'complete', web_url: 'https://codegen.com/agent/trace/77', result: 'Opened a PR', summary: 'Added endpoint',
        github_pull_requests: [{ id: 1, url: 'https://github.com/acme/shop/pull/5' }, { id: 2, url: 'https://github.com/acme/shop/pull/6' }],
      });
    });
    assert.equal(error, undefined);
    assert.equal(result!.prUrl, 'https://github.com/acme/shop/pull/5');
    assert.equal(result!.webUrl, 'https://codegen.com/agent/trace/77');
    assert.equal(result!.summary, 'Added endpoint');
    assert.deepEqual(result!.data, { codegenRunId: '77', status: 'COMPLETE', result: 'Opened a PR', summary: 'Added endpoint' });
    assert.equal(seen[0]!.url, `/v1/organizations/${orgId}/agent/run`);
    assert.deepEqual(seen[0]!.body, { prompt: 'Build it', metadata: { weft_run_id: 'run-9', weft_task_id: 'API-1.2', weft_task_title: 'Add the endpoint', weft_attempt: 1 } });
    assert.equal(seen[1]!.url, `/v1/organizations/${orgId}/agent/run/77`);
  });

  it('reports a FAILED run with its result', async () => {
    const { error } = await attempt((s, res) =>
      json(res, 200, s.method === 'POST' ? { id: 5, status: 'PENDING' } : { id: 5, status: 'FAILED', result: 'Tests did not pass: 3 failures' }),
    );
    assert.ok(error instanceof AgentError);
    assert.equal(error.category, 'agent');
    assert.equal(error.message, 'codegen run 5 ended FAILED: Tests did not pass: 3 failures');
    assert.equal(error.output, 'Tests did not pass: 3 failures');
  });

  it('waits out a 429 with Retry-After before the next request', async () => {
    const { result } = await attempt((s, res, n) => {
      if (n === 1) return json(res, 429, { detail: 'Rate limit exceeded' }, { 'retry-after': '1' });
      json(res, 200, { id: 9, status: 'COMPLETED', result: 'done' });
    });
    assert.equal(result!.summary, 'done');
    assert.equal(seen.length, 2);
    assert.ok(seen[1]!.at - seen[0]!.at >= 950, `waited only ${seen[1]!.at - seen[0]!.at} ms`);
  });

  it('holds back every attempt of the backend after a 429', async () => {
    handler = (_s, res, n) => {
      if (n === 1) return json(res, 429, {}, { 'retry-after': '1' });
      json(res, 200, { id: n, status: 'COMPLETED', result: 'ok' });
    };
    seen = [];
    const env = { CODEGEN_API_KEY: TOKEN, CODEGEN_ORG_ID: 'hold', CODEGEN_API_BASE_URL: base };
    const req = { runId: 'r', task, attempt: 1, prompt: 'p', worktree: null, branch: null, signal: new AbortController().signal, log: () => undefined };
    const first = createCodegenAgent({ env }).run(req);
    // Start the second backend once the first has seen the 429 (however slow the machine is).
    const gate = sharedGate(`${base}|hold`, 10, 60_000);
    while (gate.heldUntil === 0) await new Promise((r) => setTimeout(r, 5));
    // A second backend object for the same account shares the hold.
    const second = createCodegenAgent({ env }).run(req);
    await Promise.all([first, second]);
    assert.equal(seen.length, 3);
    assert.ok(seen[1]!.at - seen[0]!.at >= 950 && seen[2]!.at - seen[0]!.at >= 950, seen.map((x) => x.at - seen[0]!.at).join(', '));
  });

  it('paces run creations to the documented rate', async () => {
    handler = (_s, res) => json(res, 200, { id: 1, status: 'COMPLETED', result: 'ok' });
    seen = [];
    const agent = createCodegenAgent({ env: { CODEGEN_API_KEY: TOKEN, CODEGEN_ORG_ID: 'pace', CODEGEN_API_BASE_URL: base }, runsPerMinute: 2, windowMs: 1000 });
    const req = { runId: 'r', task, attempt: 1, prompt: 'p', worktree: null, branch: null, signal: new AbortController().signal, log: () => undefined };
    await Promise.all([agent.run(req), agent.run(req), agent.run(req)]);
    const times = seen.filter((s) => s.method === 'POST').map((s) => s.at).sort((a, b) => a - b);
    assert.ok(times[2]! - times[0]! >= 700, `third creation after ${times[2]! - times[0]!} ms`);
  });

  it('fails fast on 401 (auth) and 402 (quota), never echoing the token', async () => {
    const auth = await attempt((_s, res) => json(res, 401, { detail: `Invalid token ${TOKEN}` }));
    assert.ok(auth.error instanceof AgentError);
    assert.equal(auth.error.category, 'auth');
    assert.match(auth.error.message, /CODEGEN_API_KEY/);
    assert.match(auth.error.message, /\[redacted\]/);
    const quota = await attempt((_s, res) => json(res, 402, { detail: 'Payment required' }));
    assert.ok(quota.error instanceof AgentError);
    assert.equal(quota.error.category, 'quota');
    const server = await attempt((_s, res) => json(res, 503, { detail: 'down' }));
    assert.equal((server.error as AgentError).category, 'server');
  });

  it('needs the key and the organization, and names the missing one', async () => {
    const agent = createCodegenAgent({ env: { CODEGEN_ORG_ID: '1' } });
    const req = { runId: 'r', task, attempt: 1, prompt: 'p', worktree: null, branch: null, signal: new AbortController().signal, log: () => undefined };
    await assert.rejects(agent.run(req), (e: unknown) => e instanceof AgentError && e.category === 'validation' && /CODEGEN_API_KEY/.test(e.message));
    const noOrg = createCodegenAgent({ env: { CODEGEN_TOKEN: TOKEN } });
    await assert.rejects(noOrg.run(req), (e: unknown) => e instanceof AgentError && e.category === 'validation' && /CODEGEN_ORG_ID/.test(e.message) && !e.message.includes(TOKEN));
  });

  it('stops polling on abort', async () => {
    handler = (s, res) => json(res, 200, { id: 3, status: 'RUNNING' });
    const controller = new AbortController();
    const agent = createCodegenAgent({ env: { CODEGEN_API_KEY: TOKEN, CODEGEN_ORG_ID: 'abort', CODEGEN_API_BASE_URL: base, WEFT_POLL_MS: '20' } });
    const running = agent.run({ runId: 'r', task, attempt: 1, prompt: 'p', worktree: null, branch: null, signal: controller.signal, log: () => undefined });
    setTimeout(() => controller.abort('timeout'), 100);
    await assert.rejects(running, (e: unknown) => e instanceof AgentError && e.category === 'timeout');
  });

  it('parses Retry-After in seconds and as an HTTP date', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter(new Date(10_000 + 5000).toUTCString(), 10_000), 5000);
    assert.equal(parseRetryAfter(null), undefined);
    assert.equal(parseRetryAfter('soon'), undefined);
  });
});
