/** Text that is not text (NUL, lone surrogates) in any API field: 400 naming the field, on both stores; a 500 always reaches stderr with a request id. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { defaultConfig } from '../src/config/config-schema.js';
import { createSimulateAgent } from '../src/engine/simulate-agent.js';
import { buildServer } from '../src/server/build-server.js';
import { openStore } from '../src/store/open-store.js';
import { Weft } from '../src/weft.js';
import { createTestDatabase } from './helpers/postgres.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function server(kind: 'sqlite' | 'postgres'): Promise<{ app: FastifyInstance; weft: Weft }> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-text-'));
  let spec = join(dir, 'weft.db');
  if (kind === 'postgres') {
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    spec = db.url;
  }
  const store = await openStore(spec);
  const weft = new Weft(defaultConfig(), store, dir, () => createSimulateAgent({ scale: 0, failRate: 0, seed: 1 }));
  const app = await buildServer({ weft, validateResponses: true, tokens: [] });
  cleanups.push(async () => {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { app, weft };
}

const PLAN = '# Shop\n\n## A: Schema\nDo it.\n';

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`bad text in requests (${kind})`, () => {
    it('NUL and lone surrogates anywhere are 400 naming the field; nothing is stored', async () => {
      const { app, weft } = await server(kind);
      const cases: [string, string, unknown, RegExp][] = [
        ['POST', '/api/v1/tasks', { title: 'Fix\u0000it', description: 'x' }, /body\.title: contains a NUL byte/],
        ['POST', '/api/v1/tasks', { title: 'Fix it', description: 'bad \ud800 half' }, /body\.description: contains invalid Unicode/],
        ['POST', '/api/v1/runs', { requirements: `${PLAN}\u0000`, agent: 'simulate' }, /body\.requirements: contains a NUL byte/],
        ['GET', '/api/v1/memory?q=a%00b', undefined, /query\.q: contains a NUL byte/],
      ];
      for (const [method, url, payload, message] of cases) {
        const res = await app.inject({ method: method as 'GET' | 'POST', url, ...(payload ? { payload: JSON.stringify(payload), headers: { 'content-type': 'application/json' } } : {}) });
        assert.equal(res.statusCode, 400, `${method} ${url}: ${res.body}`);
        assert.match(res.json<{ error: { message: string } }>().error.message, message);
      }
      assert.deepEqual(await weft.store.listRuns(), []);
    });
  });
}

describe('internal errors', () => {
  it('a 500 is written to stderr with its request id even without --log, and the response names the id', async () => {
    const { app, weft } = await server('sqlite');
    await weft.store.close(); // every store call now fails: an internal error
    const written: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const res = await app.inject({ method: 'GET', url: '/api/v1/runs' });
      assert.equal(res.statusCode, 500);
      const id = res.json<{ error: { details: { requestId: string } } }>().error.details.requestId;
      assert.ok(id);
      assert.ok(written.some((l) => l.includes(`request ${id} GET /api/v1/runs failed`)), written.join(''));
    } finally {
      process.stderr.write = original;
    }
  });
});
