/**
 * End to end: an agent that prints its environment and known token shapes, run through a real server
 * on 127.0.0.1 with real SQLite. No secret reaches the agent unless passed by name, and nothing secret
 * is found in `.weft/` (logs, the database file), in any API response for any role, in SSE, in
 * `weft status --json`, in `weft report`, or in a dependent's prompt. On SQLite and on Postgres.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildServer } from '../src/server/build-server.js';
import { openWeft, type Weft } from '../src/weft.js';
import { createTestDatabase, type TestDatabase } from './helpers/postgres.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
const TSX = import.meta.resolve('tsx');

const rand = (n: number) => randomBytes(n).toString('hex').slice(0, n);
const SECRETS: Record<string, string> = {
  WEFT_API_TOKEN: `admin-${rand(24)}`,
  WEFT_VIEWER_TOKEN: `viewer-${rand(24)}`,
  WEFT_OPERATOR_TOKEN: `operator-${rand(24)}`,
  GITHUB_TOKEN: `gh-${rand(30)}`,
  CODEGEN_API_KEY: `cg-${rand(30)}`,
  WEFT_WEBHOOK_SECRET: `hook-${rand(30)}`,
  // A provider credential reaches its agent (it needs it), and is still redacted in what the agent prints.
  ANTHROPIC_API_KEY: `ant-${rand(30)}`,
};
// Shapes weft does not know the value of.
const SHAPES = [`ghp_${rand(36)}`, `github_pat_${rand(22)}_${rand(30)}`, `sk-${rand(40)}`, `xoxb-${rand(12)}-${rand(24)}`, rand(28)];
const BEARER = SHAPES[4]!;

const AGENT = `
const fs = require('node:fs');
const path = require('node:path');
const prompt = fs.readFileSync(0, 'utf8');
const id = process.env.WEFT_TASK_ID;
fs.writeFileSync(path.join(process.env.DUMP, id + '.json'), JSON.stringify({ env: process.env, prompt }));
for (const [k, v] of Object.entries(process.env)) console.log(k + '=' + v);
const shapes = ${JSON.stringify(SHAPES.slice(0, 4))};
for (const s of shapes) console.log('token: ' + s);
console.log('Authorization: Bearer ${BEARER}');
// A secret split across writes, on a line without a newline for a while.
const key = process.env.ANTHROPIC_API_KEY;
process.stdout.write('key=' + key.slice(0, 9));
setTimeout(() => {
  process.stdout.write(key.slice(9) + ' and ' + process.env.WEFT_WEBHOOK_SECRET + '\\n');
  fs.writeFileSync(id + '.txt', 'work of ' + id + '\\n');
  if (id === 'B') {
    console.error('failing with ' + key + ' ' + shapes[0]);
    process.exit(3);
  }
  console.log('done ' + id + ' ' + key + ' ' + shapes[2]);
}, 150);
`;

const DOC = `# Secrets\n\n## A: First\n\n## B: Fails\n\n## C: After A\nDepends on: A\n`;

/** The whole scenario against one store. */
function scenario(dialect: 'sqlite' | 'postgres'): void {
  describe(dialect, () => {
  let root: string;
    let db: string;
    let pgDb: TestDatabase | undefined;
  let repo: string;
  let dump: string;
  let weft: Weft;
  let app: FastifyInstance;
  let base: string;
  const saved: Record<string, string | undefined> = {};

  const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' });

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'weft-secrets-'));
    repo = join(root, 'repo');
    dump = join(root, 'dump');
    mkdirSync(repo);
    mkdirSync(dump);
    git(repo, 'init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'README.md'), '# app\n');
    writeFileSync(join(repo, '.gitignore'), '.weft/\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'init');
    writeFileSync(join(root, 'agent.cjs'), AGENT);
    writeFileSync(
      join(repo, 'weft.config.yaml'),
      [
        'agents:',
        '  claude:',
        `    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(join(root, 'agent.cjs'))}]`,
        `    env: { DUMP: ${JSON.stringify(dump)} }`,
        '    passEnv: [WEFT_WEBHOOK_SECRET]',
        'server:',
        '  tokens:',
        '    - { name: viewer, role: viewer, env: WEFT_VIEWER_TOKEN }',
        '    - { name: operator, role: operator, env: WEFT_OPERATOR_TOKEN }',
        '',
      ].join('\n'),
    );
    for (const [k, v] of Object.entries(SECRETS)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    if (dialect === 'postgres') {
      pgDb = await createTestDatabase('weft_secrets');
      db = pgDb.url;
    } else db = join(repo, '.weft', 'weft.db');
    weft = await openWeft({ cwd: repo, db });
    app = await buildServer({ weft, heartbeatMs: 100, eventPollMs: 50 });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  after(async () => {
    await app?.close();
    await weft?.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await pgDb?.drop();
    rmSync(root, { recursive: true, force: true });
  });

  const auth = (token: string) => ({ authorization: `Bearer ${token}` });

  /** Every secret value and shape found in `text`, by name. */
  function leaks(text: string): string[] {
    const found = Object.entries(SECRETS).filter(([, v]) => text.includes(v)).map(([k]) => k);
    for (const s of SHAPES) if (text.includes(s)) found.push(s.slice(0, 12));
    return found;
  }

  /** Reads SSE until `stop` says so (or the time is up); returns the raw text. */
  async function readSse(url: string, token: string, stop: (text: string) => boolean, ms = 30_000): Promise<string> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), ms);
    let text = '';
    try {
      const res = await fetch(url, { headers: auth(token), signal: controller.signal });
      assert.equal(res.status, 200);
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
        if (stop(text)) break;
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
    return text;
  }

  function filesUnder(dir: string): string[] {
    return readdirSync(dir).flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? filesUnder(p) : [p];
    });
  }

  function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, ['--import', TSX, MAIN, ...args, '--db', db], { cwd: repo, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  test(`an agent printing its environment and token shapes leaks nothing anywhere (${dialect})`, { timeout: 120_000 }, async () => {
    // Live SSE for the whole run, as a viewer.
    const live = readSse(`${base}/api/v1/events`, SECRETS.WEFT_VIEWER_TOKEN!, (t) => t.includes('event: run.finished'));
    await new Promise((r) => setTimeout(r, 200));
    const created = await fetch(`${base}/api/v1/runs`, {
      method: 'POST',
      headers: { ...auth(SECRETS.WEFT_OPERATOR_TOKEN!), 'content-type': 'application/json' },
      body: JSON.stringify({ requirements: DOC, agent: 'claude', repo, maxAttempts: 1, concurrency: 2 }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    const runId = ((await created.json()) as { run: { id: string } }).run.id;
    let status = '';
    for (let i = 0; i < 600 && !['succeeded', 'failed', 'cancelled'].includes(status); i++) {
      await new Promise((r) => setTimeout(r, 100));
      const res = await fetch(`${base}/api/v1/runs/${runId}`, { headers: auth(SECRETS.WEFT_VIEWER_TOKEN!) });
      status = ((await res.json()) as { run: { status: string } }).run.status;
    }
    assert.equal(status, 'failed', 'B fails, A and C succeed');
    const sse = await live;
    assert.match(sse, /event: task\.failed/);
    assert.deepEqual(leaks(sse), [], 'live SSE');

    // What the agents saw: no weft secret unless passed by name; their own provider key; the WEFT_* task variables.
    const seenA = JSON.parse(readFileSync(join(dump, 'A.json'), 'utf8')) as { env: Record<string, string>; prompt: string };
    for (const name of ['WEFT_API_TOKEN', 'WEFT_VIEWER_TOKEN', 'WEFT_OPERATOR_TOKEN', 'GITHUB_TOKEN', 'CODEGEN_API_KEY']) assert.equal(seenA.env[name], undefined, name);
    assert.equal(seenA.env.ANTHROPIC_API_KEY, SECRETS.ANTHROPIC_API_KEY);
    assert.equal(seenA.env.WEFT_WEBHOOK_SECRET, SECRETS.WEFT_WEBHOOK_SECRET, 'passed by name');
    assert.equal(seenA.env.WEFT_TASK_ID, 'A');
    assert.ok(seenA.env.PATH && seenA.env.HOME);
    // C's prompt carries A's summary (which printed secrets): redacted.
    const seenC = JSON.parse(readFileSync(join(dump, 'C.json'), 'utf8')) as { prompt: string };
    assert.match(seenC.prompt, /\[redacted\]/);
    assert.deepEqual(leaks(seenC.prompt), [], "dependent's prompt");

    // Logs and the database file (and its WAL), byte for byte.
    await new Promise((r) => setTimeout(r, 300));
    const dataFiles = filesUnder(join(repo, '.weft'));
    if (dialect === 'sqlite') assert.ok(dataFiles.some((f) => f.endsWith('.db')), dataFiles.join(' '));
    assert.ok(dataFiles.some((f) => f.endsWith('A.log')), dataFiles.join(' '));
    const aLog = readFileSync(dataFiles.find((f) => f.endsWith('A.log'))!, 'utf8');
    assert.match(aLog, /key=\[redacted\] and \[redacted\]/);
    assert.match(aLog, /Authorization: Bearer \[redacted\]/);
    for (const f of dataFiles) assert.deepEqual(leaks(readFileSync(f).toString('latin1')), [], f);
    if (pgDb) {
      // Every row of every table, as text.
      const client = new pg.Client({ connectionString: pgDb.url });
      await client.connect();
      try {
        const tables = await client.query<{ tablename: string }>("select tablename from pg_tables where schemaname = 'public'");
        assert.ok(tables.rows.length >= 5);
        for (const { tablename } of tables.rows) {
          const rows = await client.query<{ t: string }>(`select row_to_json(x)::text as t from "${tablename}" x`);
          assert.deepEqual(leaks(rows.rows.map((r) => r.t).join('\n')), [], `postgres table ${tablename}`);
        }
      } finally {
        await client.end();
      }
    }

    // The CLI.
    const st = await cli(['status', runId, '--json']);
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, /"B"/);
    assert.deepEqual(leaks(st.stdout + st.stderr), [], 'weft status --json');
    for (const format of ['md', 'json']) {
      const rep = await cli(['report', runId, '--format', format]);
      assert.equal(rep.code, 0, rep.stderr);
      assert.deepEqual(leaks(rep.stdout + rep.stderr), [], `weft report --format ${format}`);
    }

    // Output stored before redaction existed is served redacted too.
    await weft.store.addMemory({ runId, taskId: 'A', title: 'old', summary: `stored long ago: ${SECRETS.WEFT_API_TOKEN} ${SHAPES[0]}`, source: 'engine', createdAt: Date.now() });

    // Every GET route of the API, for every role.
    const doc = (await (await fetch(`${base}/api/v1/openapi.json`, { headers: auth(SECRETS.WEFT_API_TOKEN!) })).json()) as { paths: Record<string, Record<string, unknown>> };
    const paths = Object.entries(doc.paths)
      .filter(([p, ops]) => ops.get && p !== '/api/v1/events')
      .map(([p]) => p.replace(/\{id\}/g, p.startsWith('/api/v1/tasks/') ? `${runId}:A` : runId).replace(/\{taskId\}|\{task\}/g, 'B').replace(/\{[^}]+\}/g, runId));
    assert.ok(paths.length >= 8, paths.join(' '));
    const extra = ['/api/v1/memory?q=stored', '/api/v1/memory?q=done', `/api/v1/tasks?run=${runId}`, `/api/v1/runs/${runId}/tasks/A`, `/api/v1/runs/${runId}/tasks/B`];
    let bodies = 0;
    for (const token of [SECRETS.WEFT_VIEWER_TOKEN!, SECRETS.WEFT_OPERATOR_TOKEN!, SECRETS.WEFT_API_TOKEN!]) {
      for (const p of [...paths, ...extra]) {
        const res = await fetch(base + p, { headers: auth(token) });
        const body = await res.text();
        if (res.status === 200) bodies++;
        assert.deepEqual(leaks(body), [], `GET ${p} (${res.status})`);
      }
    }
    assert.ok(bodies > paths.length, 'most routes answered');
    const memory = await (await fetch(`${base}/api/v1/memory?q=stored`, { headers: auth(SECRETS.WEFT_VIEWER_TOKEN!) })).text();
    assert.match(memory, /stored long ago: \[redacted\] \[redacted\]/);
    const taskB = await (await fetch(`${base}/api/v1/runs/${runId}/tasks/B`, { headers: auth(SECRETS.WEFT_VIEWER_TOKEN!) })).text();
    assert.match(taskB, /failing with \[redacted\] \[redacted\]/);

    // SSE replay from the store.
    const replay = await readSse(`${base}/api/v1/events?lastEventId=0`, SECRETS.WEFT_VIEWER_TOKEN!, (t) => t.includes('event: run.finished'));
    assert.match(replay, /event: run\.finished/);
    assert.deepEqual(leaks(replay), [], 'SSE replay');
  });

  });
}

scenario('sqlite');
scenario('postgres');
