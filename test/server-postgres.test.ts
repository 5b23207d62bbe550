/** The API over a real Postgres database: a run started and followed, task pages, memory, audit, and SSE from the store. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { defaultConfig } from '../src/config/config-schema.js';
import { createSimulateAgent } from '../src/engine/simulate-agent.js';
import { buildServer } from '../src/server/build-server.js';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import { defaultAgentFactory, Weft } from '../src/weft.js';

const ADMIN_URL = process.env.WEFT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const DOC = `# Shop\n\n## A: Schema\nEstimate: 10m\n\n## B: Accounts\nDepends on: A\nEstimate: 10m\n\n## C: Catalog\nDepends on: A\nEstimate: 10m\n`;

describe('server on Postgres', () => {
  let admin: pg.Client;
  let name: string;
  let store: Store;
  let app: FastifyInstance;
  let dir: string;

  before(async () => {
    admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    name = `weft_server_${randomBytes(6).toString('hex')}`;
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    store = await openStore(url.toString());
    dir = mkdtempSync(join(tmpdir(), 'weft-server-pg-'));
    const weft = new Weft(defaultConfig(), store, dir, (spec, cfg) =>
      spec === 'simulate' ? createSimulateAgent({ scale: 2, failRate: 0, seed: 1 }) : defaultAgentFactory(spec, cfg),
    );
    app = await buildServer({ weft, validateResponses: true, tokens: [{ name: 'ops', role: 'operator', token: 'operator-token-0123456789' }], eventPollMs: 50 });
  });

  after(async () => {
    await app?.close();
    await store?.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  });

  const headers = { authorization: 'Bearer operator-token-0123456789' };

  test('a run over the API, its tasks, memory and audit', async () => {
    const created = await app.inject({ method: 'POST', url: '/api/v1/runs', headers, payload: { requirements: DOC } });
    assert.equal(created.statusCode, 201, created.body);
    const id = created.json<{ run: { id: string } }>().run.id;
    const end = Date.now() + 15_000;
    let status = '';
    while (Date.now() < end && status !== 'succeeded') {
      status = (await app.inject({ url: `/api/v1/runs/${id}`, headers })).json<{ run: { status: string } }>().run.status;
      await new Promise((r) => setTimeout(r, 30));
    }
    assert.equal(status, 'succeeded');
    const page = (await app.inject({ url: `/api/v1/tasks?run=${id}&limit=2`, headers })).json<{ tasks: { taskId: string; status: string }[]; nextCursor: string | null }>();
    assert.deepEqual(page.tasks.map((t) => t.taskId), ['A', 'B']);
    assert.ok(page.nextCursor);
    const rest = (await app.inject({ url: `/api/v1/tasks?run=${id}&cursor=${encodeURIComponent(page.nextCursor)}`, headers })).json<{ tasks: { taskId: string }[] }>();
    assert.deepEqual(rest.tasks.map((t) => t.taskId), ['C']);
    const memory = (await app.inject({ url: '/api/v1/memory?q=CATALOG', headers })).json<{ entries: { taskId: string }[] }>();
    assert.deepEqual(memory.entries.map((e) => e.taskId), ['C']);
    const graph = (await app.inject({ url: `/api/v1/runs/${id}/graph`, headers })).json<{ criticalPath: string[] }>();
    assert.equal(graph.criticalPath.length, 2);
    const audit = await store.listAudit();
    assert.deepEqual(audit.map((a) => [a.actor, a.method, a.path, a.status]), [['ops', 'POST', '/api/v1/runs', 201]]);
    const metrics = await app.inject({ url: '/api/v1/metrics', headers });
    assert.match(metrics.body, /weft_tasks\{status="succeeded"\} 3/);
  });

  test('SSE replays stored events after Last-Event-ID', async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    const stored = await store.listEvents({});
    assert.ok(stored.length >= 8);
    const controller = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/events`, { headers: { ...headers, 'last-event-id': String(stored[1]!.id) }, signal: controller.signal });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while ((text.match(/^event: /gm) ?? []).length < stored.length - 2) text += (await reader.read()).value ?? '';
    controller.abort();
    const ids = [...text.matchAll(/^id: (\d+)\nevent: /gm)].map((m) => Number(m[1]));
    assert.deepEqual(ids, stored.slice(2).map((e) => e.id));
  });
});
