/** Server-Sent Events on a real HTTP server on 127.0.0.1: live runs, other processes' events, Last-Event-ID resume. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { defaultConfig } from '../src/config/config-schema.js';
import { createSimulateAgent } from '../src/engine/simulate-agent.js';
import { buildServer } from '../src/server/build-server.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { defaultAgentFactory, Weft } from '../src/weft.js';

interface Sse {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** Reads an SSE response and hands each message (comments included) to `onMessage`; stops when it returns true. */
async function readSse(url: string, headers: Record<string, string>, onMessage: (m: Sse, all: Sse[]) => boolean, ms = 10_000): Promise<Sse[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  const all: Sse[] = [];
  try {
    const res = await fetch(url, { headers, signal: controller.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return all;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const m: Sse = {};
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) m.comment = line.slice(1).trim();
          else if (line.startsWith('id: ')) m.id = line.slice(4);
          else if (line.startsWith('event: ')) m.event = line.slice(7);
          else if (line.startsWith('data: ')) m.data = line.slice(6);
        }
        all.push(m);
        if (onMessage(m, all)) {
          controller.abort();
          return all;
        }
      }
    }
  } catch (err) {
    if ((err as Error).name === 'AbortError') return all;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

const DOC = `# Shop\n\n## A: Schema\nEstimate: 20m\n\n## B: Accounts\nDepends on: A\nEstimate: 10m\n\n## C: Catalog\nDepends on: A\nEstimate: 10m\n`;

describe('server events (SSE)', () => {
  let dir: string;
  let app: FastifyInstance;
  let store: Store;
  let base: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'weft-sse-'));
    store = openSqliteStore(join(dir, 'weft.db'));
    await store.migrate();
    const weft = new Weft(defaultConfig(), store, dir, (spec, cfg) =>
      spec === 'simulate' ? createSimulateAgent({ scale: 2, failRate: 0, seed: 1 }) : defaultAgentFactory(spec, cfg),
    );
    app = await buildServer({ weft, validateResponses: true, tokens: [], keepAliveMs: 150, eventPollMs: 50 });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    assert.ok(address && typeof address === 'object');
    base = `http://127.0.0.1:${address.port}`;
  });

  // Closing must not wait for open streams (they never end by themselves): a wait fails by the hook's timeout.
  after(
    async () => {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
    { timeout: 20_000 },
  );

  test('a run started over the API is followed live, and every event gets its stored id', async () => {
    let runId = '';
    const started = readSse(`${base}/api/v1/events`, {}, (m, all) => {
      if (m.comment === undefined && m.event === undefined && m.id !== undefined && all.length === 2 && !runId) {
        // The first message tells where the stream stands; start the run only once we are listening.
        void fetch(`${base}/api/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ requirements: DOC }) })
          .then((r) => r.json() as Promise<{ run: { id: string } }>)
          .then((b) => (runId = b.run.id));
      }
      const finished = all.some((x) => x.event === 'run.finished');
      // After run.finished, wait until the stored ids of all 8 events have arrived (plus the opening `id:`).
      return finished && all.filter((x) => x.id !== undefined && x.event === undefined).length >= 9;
    });
    const messages = await started;
    assert.equal(messages[0]?.comment, undefined);
    const events = messages.filter((m) => m.event);
    const types = events.map((m) => m.event);
    assert.equal(types[0], 'run.started');
    assert.equal(types[types.length - 1], 'run.finished');
    assert.equal(types.filter((t) => t === 'task.started').length, 3);
    assert.equal(types.filter((t) => t === 'task.succeeded').length, 3);
    const payloads = events.map((m) => JSON.parse(m.data!) as { type: string; runId: string; taskId: string | null; at: number; data: Record<string, unknown> });
    assert.ok(payloads.every((p) => p.runId === runId && typeof p.at === 'number'));
    const finished = payloads[payloads.length - 1]!;
    assert.equal(finished.data.status, 'succeeded');
    assert.equal(finished.data.succeeded, 3);
    // B and C start only after A succeeded.
    const aDone = types.indexOf('task.succeeded');
    assert.equal(payloads[aDone]?.taskId, 'A');
    assert.ok(payloads.findIndex((p) => p.type === 'task.started' && p.taskId === 'B') > aDone);
    // Live events carry no id; their stored ids follow in id-only messages, in increasing order.
    const ids = messages.filter((m) => m.id !== undefined && m.event === undefined).map((m) => Number(m.id));
    assert.deepEqual([...ids].sort((a, b) => a - b), ids);
    assert.equal(ids[ids.length - 1], await store.lastEventId());
  });

  test('Last-Event-ID resumes with exactly the stored events after it', async () => {
    const stored = await store.listEvents({});
    assert.equal(stored.length, 8);
    const from = stored[3]!.id;
    const expected = stored.filter((e) => e.id > from);
    const got = await readSse(`${base}/api/v1/events`, { 'last-event-id': String(from) }, (_m, all) => all.filter((x) => x.event).length >= expected.length);
    const events = got.filter((m) => m.event);
    assert.deepEqual(events.map((m) => Number(m.id)), expected.map((e) => e.id));
    assert.deepEqual(events.map((m) => m.event), expected.map((e) => e.type));
    // The query parameter works the same for clients that cannot set headers.
    const viaQuery = await readSse(`${base}/api/v1/events?lastEventId=${stored[stored.length - 2]!.id}`, {}, (m) => m.event !== undefined);
    assert.equal(viaQuery.find((m) => m.event)?.id, String(stored[stored.length - 1]!.id));
  });

  test('events another process records arrive from the store, filtered by ?run=, with keep-alive comments', async () => {
    const got = readSse(`${base}/api/v1/events?run=other`, {}, (_m, all) => all.some((x) => x.event === 'task.failed') && all.some((x) => x.comment === 'keep-alive'));
    await new Promise((r) => setTimeout(r, 100));
    // What another process's recorder writes: one event of another run, then two of `other`.
    await store.appendEvents([
      { runId: 'elsewhere', taskId: 'X', type: 'task.started', at: Date.now(), data: { runId: 'elsewhere', taskId: 'X', title: 'X', attempt: 1, agent: 'claude' } },
      { runId: 'other', taskId: 'T', type: 'task.started', at: Date.now(), data: { runId: 'other', taskId: 'T', title: 'T', attempt: 1, agent: 'claude' } },
      { runId: 'other', taskId: 'T', type: 'task.failed', at: Date.now(), data: { runId: 'other', taskId: 'T', attempt: 1, category: 'auth', message: 'bad key' } },
    ]);
    const messages = await got;
    const events = messages.filter((m) => m.event);
    assert.deepEqual(events.map((m) => m.event), ['task.started', 'task.failed']);
    assert.ok(events.every((m) => m.id !== undefined), 'stored events carry their id');
    assert.equal(JSON.parse(events[1]!.data!).data.message, 'bad key');
  });

  test('a bad query is refused before the stream starts', async () => {
    const res = await fetch(`${base}/api/v1/events?lastEventId=-4`);
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { message: string } };
    assert.match(body.error.message, /querystring\.lastEventId/);
  });
});
