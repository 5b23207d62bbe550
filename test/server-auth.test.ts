/** Auth (tokens and roles), the audit log, rate limiting and the listen guard. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { defaultConfig, weftConfigSchema } from '../src/config/config-schema.js';
import { InputError } from '../src/core/errors.js';
import { createSimulateAgent } from '../src/engine/simulate-agent.js';
import { summarizeBody } from '../src/server/audit.js';
import { assertSafeListen, isLoopbackHost, resolveTokens, type ApiToken } from '../src/server/auth.js';
import { buildServer } from '../src/server/build-server.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import { defaultAgentFactory, Weft } from '../src/weft.js';

const dirs: string[] = [];
const apps: FastifyInstance[] = [];
after(async () => {
  for (const app of apps) await app.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const TOKENS: ApiToken[] = [
  { name: 'alice-admin', role: 'admin', token: 'admin-token-0123456789' },
  { name: 'ops-bot', role: 'operator', token: 'operator-token-0123456789' },
  { name: 'grafana', role: 'viewer', token: 'viewer-token-0123456789' },
];
const bearer = (role: 'admin' | 'operator' | 'viewer') => ({ authorization: `Bearer ${TOKENS.find((t) => t.role === role)!.token}` });

async function setup(opts: { tokens?: ApiToken[]; rateLimitPerMinute?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'weft-auth-'));
  dirs.push(dir);
  const store = openSqliteStore(join(dir, 'weft.db'));
  await store.migrate();
  const weft = new Weft(defaultConfig(), store, dir, (spec, cfg) =>
    spec === 'simulate' ? createSimulateAgent({ scale: 0, failRate: 0, seed: 1 }) : defaultAgentFactory(spec, cfg),
  );
  const app = await buildServer({ weft, validateResponses: true, tokens: opts.tokens ?? TOKENS, ...(opts.rateLimitPerMinute !== undefined ? { rateLimitPerMinute: opts.rateLimitPerMinute } : {}) });
  apps.push(app);
  return { app, weft };
}

const DOC = '# T\n\n## A\nEstimate: 1m\n';

describe('server auth', () => {
  test('without a token: 401 on every route but health, the dashboard and the webhook path', async () => {
    const { app, weft } = await setup();
    assert.equal((await app.inject({ url: '/api/v1/health' })).statusCode, 200);
    assert.equal((await app.inject({ url: '/' })).statusCode, 200);
    assert.equal((await app.inject({ url: '/api/docs' })).statusCode, 200);
    for (const [method, url] of [
      ['GET', '/api/v1/runs'],
      ['GET', '/api/v1/tasks'],
      ['GET', '/api/v1/openapi.json'],
      ['GET', '/api/v1/metrics'],
      ['GET', '/api/v1/events'],
      ['POST', '/api/v1/runs'],
      ['GET', '/api/codegen/deployment/list'],
    ] as const) {
      const res = await app.inject({ method, url, ...(method === 'POST' ? { payload: { requirements: DOC } } : {}) });
      assert.equal(res.statusCode, 401, `${method} ${url}`);
      assert.equal(res.json<{ error: { code: string } }>().error.code, 'unauthorized');
    }
    const wrong = await app.inject({ url: '/api/v1/runs', headers: { authorization: 'Bearer not-a-real-token-at-all' } });
    assert.equal(wrong.statusCode, 401);
    assert.match(wrong.json<{ error: { message: string } }>().error.message, /invalid API token/);
    assert.doesNotMatch(wrong.body, /not-a-real-token/);
    assert.deepEqual(await weft.store.listRuns(), [], 'a refused call stores nothing');
    // Another engineer's webhook route is reachable without a token (GitHub signs its deliveries).
    app.log.level = 'silent';
    const hook = await app.inject({ method: 'POST', url: '/api/v1/webhooks/github', payload: { zen: 'hi' }, headers: { 'x-github-event': 'ping' } });
    assert.doesNotMatch(hook.body, /API token/);
    assert.match(hook.body, /WEFT_WEBHOOK_SECRET|X-Hub-Signature-256/, 'the webhook route itself answered');
  });

  test('viewers read, operators act, admins read the audit log', async () => {
    const { app } = await setup();
    assert.equal((await app.inject({ url: '/api/v1/runs', headers: bearer('viewer') })).statusCode, 200);
    assert.equal((await app.inject({ url: '/api/v1/openapi.json', headers: bearer('viewer') })).statusCode, 200);
    const denied = await app.inject({ method: 'POST', url: '/api/v1/runs', headers: bearer('viewer'), payload: { requirements: DOC, start: false } });
    assert.equal(denied.statusCode, 403);
    assert.match(denied.json<{ error: { message: string } }>().error.message, /role viewer; this call needs operator/);
    const created = await app.inject({ method: 'POST', url: '/api/v1/runs', headers: bearer('operator'), payload: { requirements: DOC, start: false } });
    assert.equal(created.statusCode, 201);
    assert.equal((await app.inject({ url: '/api/v1/audit', headers: bearer('operator') })).statusCode, 403);
    const audit = await app.inject({ url: '/api/v1/audit', headers: bearer('admin') });
    assert.equal(audit.statusCode, 200);
    const entries = audit.json<{ entries: { actor: string; method: string; path: string; status: number; body: string | null }[] }>().entries;
    assert.deepEqual(
      entries.map((e) => [e.actor, e.method, e.path, e.status]),
      [
        ['ops-bot', 'POST', '/api/v1/runs', 201],
        ['grafana', 'POST', '/api/v1/runs', 403],
      ],
    );
    assert.equal(entries[0]?.body, '{"requirements":"# T\\n\\n## A\\nEstimate: 1m\\n","start":false}');
    assert.doesNotMatch(audit.body, /token-0123456789/, 'tokens never appear');
  });

  test('the audit log keeps every mutating call, refused ones too, with long and secret values shortened', async () => {
    const { app, weft } = await setup({ tokens: [] });
    await app.inject({ method: 'POST', url: '/api/v1/plans', payload: { requirements: `# Big\n\n## A\n${'words '.repeat(100)}` } });
    await app.inject({ method: 'POST', url: '/api/v1/runs', payload: { requirements: '' } });
    await app.inject({ url: '/api/v1/runs' });
    const entries = await weft.store.listAudit();
    assert.deepEqual(entries.map((e) => [e.actor, e.path, e.status]), [
      ['anonymous', '/api/v1/runs', 400],
      ['anonymous', '/api/v1/plans', 200],
    ]);
    assert.equal(entries[1]?.body, '{"requirements":"<612 chars>"}');
    assert.equal(summarizeBody({ apiKey: 'sk-123', nested: { password: 'p', ok: 1 } }), '{"apiKey":"<redacted>","nested":{"password":"<redacted>","ok":1}}');
    assert.equal(summarizeBody(undefined), null);
    assert.equal(summarizeBody(Buffer.from('{"raw":true}')), '<12 bytes>');
  });

  test('rate limiting answers 429 in the JSON error shape', async () => {
    const { app } = await setup({ tokens: [], rateLimitPerMinute: 3 });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await app.inject({ url: '/api/v1/runs' })).statusCode);
    assert.deepEqual(codes, [200, 200, 200, 429, 429]);
    const res = await app.inject({ url: '/api/v1/runs' });
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'rate_limited');
    assert.ok(res.headers['retry-after']);
    assert.equal((await app.inject({ url: '/api/v1/health' })).statusCode, 200, 'health is never limited');
  });

  test('tokens come from WEFT_API_TOKEN and config; serving beyond loopback needs one', () => {
    assert.deepEqual(resolveTokens({}), []);
    assert.deepEqual(resolveTokens({ WEFT_API_TOKEN: ' abcdefghijklmnop ' }), [{ name: 'WEFT_API_TOKEN', role: 'admin', token: 'abcdefghijklmnop' }]);
    assert.deepEqual(resolveTokens({ CI_TOKEN: 'ci-token-0123456789' }, [{ name: 'ci', role: 'viewer', env: 'CI_TOKEN' }]), [{ name: 'ci', role: 'viewer', token: 'ci-token-0123456789' }]);
    assert.throws(() => resolveTokens({}, [{ name: 'ci', role: 'viewer', env: 'CI_TOKEN' }]), /ci: environment variable CI_TOKEN is not set/);
    assert.throws(() => resolveTokens({ WEFT_API_TOKEN: 'short' }), /too short/);
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) assert.ok(isLoopbackHost(h), h);
    for (const h of ['0.0.0.0', '::', '192.168.1.4', 'example.com']) assert.ok(!isLoopbackHost(h), h);
    assert.doesNotThrow(() => assertSafeListen('127.0.0.1', []));
    assert.throws(() => assertSafeListen('0.0.0.0', []), (err: unknown) => err instanceof InputError && /refusing to listen on 0\.0\.0\.0 without an API token/.test(err.message));
    assert.doesNotThrow(() => assertSafeListen('0.0.0.0', TOKENS));
  });

  test('the config schema accepts server.tokens and names a bad role', () => {
    assert.deepEqual(defaultConfig().server.tokens, []);
    const ok = weftConfigSchema.parse({ server: { tokens: [{ name: 'ci', role: 'viewer', env: 'CI_TOKEN' }] } });
    assert.deepEqual(ok.server.tokens, [{ name: 'ci', role: 'viewer', env: 'CI_TOKEN' }]);
    const bad = weftConfigSchema.safeParse({ server: { tokens: [{ name: 'ci', role: 'root', env: 'CI_TOKEN' }] } });
    assert.equal(bad.success, false);
    assert.deepEqual(bad.error?.issues[0]?.path, ['server', 'tokens', 0, 'role']);
    assert.match(bad.error?.issues[0]?.message ?? '', /expected viewer, operator or admin, got "root"/);
  });
});
