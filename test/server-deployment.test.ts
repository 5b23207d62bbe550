/** Seed 000's `/api/codegen/deployment/*` endpoints: the whole flow, with the seed's exact shapes. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
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

async function setup(config = defaultConfig()) {
  const dir = mkdtempSync(join(tmpdir(), 'weft-deploy-'));
  dirs.push(dir);
  const store = openSqliteStore(join(dir, 'weft.db'));
  await store.migrate();
  const weft = new Weft(config, store, dir, (spec, cfg) =>
    spec === 'simulate' || spec === 'codegen'
      ? // A stand-in for Codegen: the flow is the same whichever backend runs the task.
        { ...createSimulateAgent({ scale: 1, failRate: 0, seed: 1 }), name: spec }
      : defaultAgentFactory(spec, cfg),
  );
  const app = await buildServer({ weft, validateResponses: true, tokens: [], heartbeatMs: 50 });
  apps.push(app);
  return { app, weft };
}

const P = '/api/codegen/deployment';

async function call<T>(app: FastifyInstance, method: 'GET' | 'POST', url: string, payload?: object, expect = 200): Promise<T> {
  const res = await app.inject({ method, url, ...(payload ? { payload } : {}) });
  assert.equal(res.statusCode, expect, `${method} ${url}: ${res.body}`);
  return res.json<T>();
}

describe('seed 000 deployment endpoints', () => {
  test("create takes the seed's context dict: YAML in the prompt, repository and branch when configured", async () => {
    const config = defaultConfig();
    const repoDir = mkdtempSync(join(tmpdir(), 'weft-deploy-repo-'));
    dirs.push(repoDir);
    config.repositories = { 'example-repo': repoDir };
    const { app, weft } = await setup(config);
    // The seed's example, as written.
    const context = {
      repository: 'example-repo',
      branch: 'main',
      environment: 'production',
      infrastructure: { provider: 'aws', region: 'us-west-2', services: ['ec2', 'rds', 's3'] },
    };
    const { task_id } = await call<{ task_id: string }>(app, 'POST', `${P}/create`, { task_description: 'Deploy the application to AWS using Terraform', context });
    const runId = task_id.split(':')[0]!;
    const run = (await weft.store.getRun(runId))!;
    assert.equal(run.repo, repoDir);
    assert.equal(run.baseBranch, 'main');
    const { buildPrompt } = await import('../src/prompt/index.js');
    const { analyzePlan } = await import('../src/plan/analyze-plan.js');
    const { readRunSettings } = await import('../src/engine/run-settings.js');
    const tasks = await weft.store.listTasks(runId);
    const plan = analyzePlan({ title: run.title, context: readRunSettings(run.options).context, tasks: tasks.map((t) => t.spec), source: 'api' });
    const prompt = (await buildPrompt(plan, tasks[0]!.id)).text;
    assert.match(prompt, /```yaml\nrepository: example-repo\nbranch: main\nenvironment: production\ninfrastructure:\n {2}provider: aws\n {2}region: us-west-2\n {2}services:\n {4}- ec2/);

    // An unknown repository name is context for the agent only.
    const other = await call<{ task_id: string }>(app, 'POST', `${P}/create`, { task_description: 'Deploy it', context: { ...context, repository: 'elsewhere' } });
    assert.equal((await weft.store.getRun(other.task_id.split(':')[0]!))!.repo, null);
  });

  test('is-deployment-task uses the planner\'s type inference', async () => {
    const { app } = await setup();
    const yes = await call<{ is_deployment: boolean }>(app, 'POST', `${P}/is-deployment-task`, { task_description: 'Deploy the web app to staging with Docker and Kubernetes' });
    assert.deepEqual(yes, { is_deployment: true });
    const no = await call<{ is_deployment: boolean }>(app, 'POST', `${P}/is-deployment-task`, { task_description: 'Add a search box to the catalog page' });
    assert.deepEqual(no, { is_deployment: false });
    const bad = await call<{ error: { message: string } }>(app, 'POST', `${P}/is-deployment-task`, { description: 'x' }, 400);
    assert.match(bad.error.message, /body\.task_description/);
  });

  test('create, delegate, status, results, report, add-to-memory, list', async () => {
    const { app } = await setup();
    const { task_id } = await call<{ task_id: string }>(app, 'POST', `${P}/create`, {
      task_description: 'Deploy the shop to production\nBuild the image, push it, roll it out.',
      context: 'The shop is a Node app.',
    });
    assert.match(task_id, /^[0-9a-z]+:deploy-the-shop-to-production$/);
    const q = `task_id=${encodeURIComponent(task_id)}`;
    assert.deepEqual(await call(app, 'GET', `${P}/status?${q}`), { task_id, status: 'ready' });
    const before = await call<{ result: unknown; pr_url: unknown }>(app, 'GET', `${P}/results?${q}`);
    assert.deepEqual(before, { task_id, status: 'ready', result: null, pr_url: null });
    const early = await call<{ error: { code: string } }>(app, 'POST', `${P}/add-to-memory`, { task_id }, 409);
    assert.equal(early.error.code, 'conflict');

    assert.deepEqual(await call(app, 'POST', `${P}/delegate`, { task_id, agent: 'codegen' }), { success: true });
    const again = await call<{ error: { code: string } }>(app, 'POST', `${P}/delegate`, { task_id }, 409);
    assert.equal(again.error.code, 'conflict');

    const end = Date.now() + 10_000;
    let status = '';
    while (Date.now() < end && status !== 'succeeded') {
      status = (await call<{ status: string }>(app, 'GET', `${P}/status?${q}`)).status;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(status, 'succeeded');

    const results = await call<{ task_id: string; status: string; result: { summary: string }; pr_url: string | null }>(app, 'GET', `${P}/results?${q}`);
    assert.equal(results.status, 'succeeded');
    assert.equal(results.result.summary, 'Simulated Deploy the shop to production');
    assert.equal(results.pr_url, null);

    const report = await call<{ task_id: string; report: string }>(app, 'GET', `${P}/report?${q}`);
    assert.equal(report.task_id, task_id);
    assert.match(report.report, /^# weft run /);
    assert.match(report.report, /\| deploy-the-shop-to-production \| Deploy the shop to production \| succeeded \| 1 \|/);

    assert.deepEqual(await call(app, 'POST', `${P}/add-to-memory`, { task_id, planner_id: 'planner-1' }), { success: true });
    const memory = await call<{ entries: { task: string; source: string; summary: string }[] }>(app, 'GET', '/api/v1/memory?q=deploy%20the%20shop');
    assert.equal(memory.entries[0]?.task, task_id);
    assert.equal(memory.entries[0]?.source, 'planner-1');

    const list = await call<{ tasks: { task_id: string; status: string; title: string; description: string }[] }>(app, 'GET', `${P}/list`);
    assert.equal(list.tasks.length, 1);
    assert.equal(list.tasks[0]?.task_id, task_id);
    assert.equal(list.tasks[0]?.status, 'succeeded');
    assert.match(list.tasks[0]?.description ?? '', /roll it out/);

    // The same task through weft's own API: a deployment task on the agent it was delegated to.
    const own = await call<{ task: { type: string; agent: string } }>(app, 'GET', `/api/v1/tasks/${encodeURIComponent(task_id)}`);
    assert.equal(own.task.type, 'deployment');
    assert.equal(own.task.agent, 'codegen');
    // A finished task cannot be cancelled any more.
    assert.deepEqual(await call(app, 'POST', `${P}/cancel`, { task_id }), { success: false });
  });

  test('cancel before delegation; unknown and malformed ids', async () => {
    const { app } = await setup();
    const { task_id } = await call<{ task_id: string }>(app, 'POST', `${P}/create`, { task_description: 'Provision the staging database with Terraform' });
    assert.deepEqual(await call(app, 'POST', `${P}/cancel`, { task_id }), { success: true });
    assert.deepEqual(await call(app, 'GET', `${P}/status?task_id=${encodeURIComponent(task_id)}`), { task_id, status: 'cancelled' });
    const late = await call<{ error: { code: string } }>(app, 'POST', `${P}/delegate`, { task_id }, 409);
    assert.equal(late.error.code, 'conflict');
    const unknown = await call<{ error: { code: string } }>(app, 'GET', `${P}/status?task_id=abc:nope`, undefined, 404);
    assert.equal(unknown.error.code, 'not_found');
    const malformed = await call<{ error: { message: string } }>(app, 'GET', `${P}/results?task_id=nocolon`, undefined, 400);
    assert.match(malformed.error.message, /^task_id: expected a task id of the form RUN_ID:TASK_ID/);
    const missing = await call<{ error: { message: string } }>(app, 'GET', `${P}/report`, undefined, 400);
    assert.match(missing.error.message, /querystring\.task_id/);
    const agent = await call<{ error: { message: string } }>(app, 'POST', `${P}/delegate`, { task_id, agent: 'bash -c id' }, 400);
    assert.match(agent.error.message, /^agent:/);
  });
});
