/** Workflows over the REST API: create, execute, approve (roles, audit, OpenAPI), a signed push webhook, a cron trigger. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src/config/load-config.js';
import { buildServer } from '../src/server/build-server.js';
import type { ApiToken } from '../src/server/auth.js';
import { openStore } from '../src/store/open-store.js';
import { Weft } from '../src/weft.js';

const TOKENS: ApiToken[] = [
  { name: 'ops-bot', role: 'operator', token: 'operator-token-0123456789' },
  { name: 'grafana', role: 'viewer', token: 'viewer-token-0123456789' },
];
const as = (role: 'operator' | 'viewer') => ({ authorization: `Bearer ${TOKENS.find((t) => t.role === role)!.token}` });
const SECRET = 'wf-secret';

async function server(opts: { schedules?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'weft-wfapi-'));
  spawnSync('git', ['init', '-q', '-b', 'main', dir]);
  writeFileSync(join(dir, 'README.md'), '# x\n');
  spawnSync('git', ['-C', dir, 'add', '.']);
  spawnSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init']);
  const store = await openStore(join(dir, 'w.db'));
  const { config } = await loadConfig({ cwd: dir });
  process.env.XDG_CACHE_HOME = join(dir, '.cache');
  const weft = new Weft(config, store, dir);
  const app = await buildServer({ weft, tokens: TOKENS, validateResponses: true, schedules: opts.schedules ?? false });
  return { dir, store, weft, app, close: async () => { await app.close(); await weft.close(); } };
}

const YAML = (log: string) => `
name: API flow
inputs:
  env: { type: string, default: staging }
  items: { type: array, default: [1, 2, 3, 4, 5] }
steps:
  - id: prepare
    run: [sh, -c, "echo prepare >> ${log}"]
  - id: prod-only
    if: inputs.env == "prod"
    run: [sh, -c, "echo prod >> ${log}"]
  - id: both
    parallel:
      - { id: left, run: [sh, -c, "echo left >> ${log}"] }
      - { id: right, run: [sh, -c, "echo right >> ${log}"] }
  - id: each
    foreach:
      items: inputs.items
      concurrency: 2
      steps:
        - { id: one, run: [sh, -c, "echo item-\${{ item }} >> ${log}"] }
  - id: retry
    until:
      condition: iteration >= 1
      max: 3
      steps:
        - { id: try, run: [sh, -c, "echo try >> ${log}"] }
  - id: gate
    wait: { approval: true }
  - id: build
    plan: { agent: simulate, text: "# X\\n## Y\\n- [ ] one thing\\n" }
`;

async function poll<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await sleep(50);
  }
  throw new Error(`timed out: ${what}`);
}

test('create, execute and approve over the API, with roles and the audit log', async () => {
  const s = await server();
  try {
    const log = join(s.dir, 'ran.log');
    const refused = await s.app.inject({ method: 'POST', url: '/api/v1/workflows', headers: as('viewer'), payload: { yaml: YAML(log) } });
    assert.equal(refused.statusCode, 403);
    const bad = await s.app.inject({ method: 'POST', url: '/api/v1/workflows', headers: as('operator'), payload: { yaml: 'name: x\nsteps:\n  - id: a\n    rn: [x]\n' } });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().error.message, /workflow\.yaml:3: steps\[0\] \(a\): Unrecognized key/);
    const created = await s.app.inject({ method: 'POST', url: '/api/v1/workflows', headers: as('operator'), payload: { yaml: YAML(log) } });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.json().id, 'api-flow');
    const list = await s.app.inject({ method: 'GET', url: '/api/v1/workflows', headers: as('viewer') });
    assert.deepEqual(list.json().workflows.map((w: { id: string }) => w.id), ['api-flow']);
    assert.equal((await s.app.inject({ method: 'POST', url: '/api/v1/workflows/api-flow/execute', headers: as('viewer'), payload: {} })).statusCode, 403);
    const started = await s.app.inject({ method: 'POST', url: '/api/v1/workflows/api-flow/execute', headers: as('operator'), payload: { inputs: { env: 'staging' } } });
    assert.equal(started.statusCode, 201, started.body);
    const id = started.json().id as string;
    const waiting = await poll('approval', async () => {
      const r = (await s.app.inject({ method: 'GET', url: `/api/v1/workflow-runs/${id}`, headers: as('viewer') })).json();
      return r.steps.some((st: { key: string; status: string }) => st.key === 'gate' && st.status === 'waiting') ? r : undefined;
    });
    assert.equal(waiting.steps.find((st: { key: string }) => st.key === 'prod-only').status, 'skipped');
    assert.equal(waiting.steps.find((st: { key: string }) => st.key === 'gate').waitingFor, 'approval');
    assert.equal((await s.app.inject({ method: 'POST', url: `/api/v1/workflow-runs/${id}/steps/gate/approve`, headers: as('viewer'), payload: {} })).statusCode, 403);
    const approved = await s.app.inject({ method: 'POST', url: `/api/v1/workflow-runs/${id}/steps/gate/approve`, headers: as('operator'), payload: { comment: 'lgtm' } });
    assert.equal(approved.statusCode, 200, approved.body);
    const again = await s.app.inject({ method: 'POST', url: `/api/v1/workflow-runs/${id}/steps/gate/approve`, headers: as('operator'), payload: {} });
    assert.equal(again.statusCode, 409);
    const done = await poll('the end', async () => {
      const r = (await s.app.inject({ method: 'GET', url: `/api/v1/workflow-runs/${id}`, headers: as('viewer') })).json();
      return r.status === 'running' || r.status === 'pending' ? undefined : r;
    });
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    const gate = done.steps.find((st: { key: string }) => st.key === 'gate');
    assert.equal(gate.output.by, 'ops-bot');
    assert.equal(done.steps.find((st: { key: string }) => st.key === 'build').output.status, 'succeeded');
    assert.deepEqual(done.steps.find((st: { key: string }) => st.key === 'retry').output.iterations, 2);
    const { readFileSync } = await import('node:fs');
    const lines = readFileSync(log, 'utf8').trim().split('\n').sort();
    assert.deepEqual(lines, ['item-1', 'item-2', 'item-3', 'item-4', 'item-5', 'left', 'prepare', 'right', 'try', 'try']);
    const audit = await s.store.listAudit({ limit: 50 });
    assert.ok(audit.some((a) => a.actor === 'ops-bot' && a.path === `/api/v1/workflow-runs/${id}/steps/gate/approve` && a.status === 200));
    const doc = (await s.app.inject({ method: 'GET', url: '/api/v1/openapi.json', headers: as('viewer') })).json() as { paths: Record<string, unknown> };
    for (const p of ['/api/v1/workflows', '/api/v1/workflows/{id}', '/api/v1/workflows/{id}/execute', '/api/v1/workflow-runs/{id}', '/api/v1/workflow-runs/{id}/cancel', '/api/v1/workflow-runs/{id}/steps/{step}/approve']) assert.ok(p in doc.paths, p);
    // Cancel: a run waiting for approval ends cancelled.
    const second = (await s.app.inject({ method: 'POST', url: '/api/v1/workflows/api-flow/execute', headers: as('operator'), payload: {} })).json().id as string;
    await poll('approval', async () => ((await s.store.workflows.getStep(second, 'gate'))?.status === 'waiting' ? true : undefined));
    assert.equal((await s.app.inject({ method: 'POST', url: `/api/v1/workflow-runs/${second}/cancel`, headers: as('operator') })).statusCode, 200);
    const cancelled = await poll('cancelled', async () => ((await s.store.workflows.getWorkflowRun(second))?.status === 'cancelled' ? true : undefined));
    assert.ok(cancelled);
    assert.equal((await s.store.workflows.getStep(second, 'gate'))?.status, 'cancelled');
  } finally {
    await s.close();
  }
});

test('a signed push to the filtered branch starts exactly one run; a redelivery and other branches start none', async () => {
  const s = await server();
  process.env.WEFT_WEBHOOK_SECRET = SECRET;
  try {
    const log = join(s.dir, 'push.log');
    await s.weft.workflows.create(`
name: On push
inputs:
  branch: { type: string, default: none }
  sha: { type: string, default: none }
on:
  push: { branches: [main, "release/*"] }
steps:
  - { id: note, run: [sh, -c, "echo \${{ inputs.branch }} \${{ inputs.sha }} >> ${log}"] }
`, null);
    const deliver = (id: string, ref: string, signature?: string) => {
      const body = JSON.stringify({ ref, after: 'abc123', deleted: false, repository: { full_name: 'o/r' } });
      return s.app.inject({
        method: 'POST',
        url: '/api/v1/webhooks/github',
        headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': id, 'x-hub-signature-256': signature ?? `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` },
        payload: body,
      });
    };
    assert.equal((await deliver('d-0', 'refs/heads/main', 'sha256=00')).statusCode, 401);
    const first = await deliver('d-1', 'refs/heads/main');
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(first.json().workflows.runIds.length, 1);
    const redelivery = await deliver('d-1', 'refs/heads/main');
    assert.equal(redelivery.json().workflows.duplicate, true);
    assert.equal(redelivery.json().workflows.runIds.length, 0);
    assert.equal((await deliver('d-2', 'refs/heads/feature/x')).json().workflows.runIds.length, 0);
    const runs = await s.store.workflows.listWorkflowRuns({});
    assert.equal(runs.length, 1);
    assert.deepEqual(runs[0]!.trigger, { kind: 'webhook', event: 'push', delivery: 'd-1', action: null });
    await poll('the run', async () => ((await s.store.workflows.getWorkflowRun(runs[0]!.id))?.status === 'succeeded' ? true : undefined));
    const { readFileSync } = await import('node:fs');
    assert.equal(readFileSync(log, 'utf8'), 'main abc123\n');
    assert.deepEqual((await s.store.workflows.getDelivery('d-1'))?.runIds, [runs[0]!.id]);
  } finally {
    delete process.env.WEFT_WEBHOOK_SECRET;
    await s.close();
  }
});

test('a cron trigger fires, once per tick even with two servers watching the same store', async () => {
  const a = await server({ schedules: true });
  const store2 = await openStore(join(a.dir, 'w.db'));
  const weft2 = new Weft(a.weft.config, store2, a.dir);
  const b = await buildServer({ weft: weft2, tokens: TOKENS, schedules: true });
  try {
    const log = join(a.dir, 'cron.log');
    writeFileSync(log, '');
    await a.weft.workflows.create(`
name: Every second
on:
  schedule: "* * * * * *"
steps:
  - { id: tick, run: [sh, -c, "echo tick >> ${log}"] }
`, null);
    const runs = await poll('three scheduled runs', async () => {
      const r = await a.store.workflows.listWorkflowRuns({});
      return r.length >= 3 ? r : undefined;
    });
    const ticks = runs.map((r) => (r.trigger as { tick: number }).tick);
    assert.equal(new Set(ticks).size, ticks.length, 'one run per tick');
    assert.ok(runs.every((r) => (r.trigger as { kind: string }).kind === 'schedule'));
  } finally {
    await b.close();
    await weft2.close();
    await a.close();
  }
});
