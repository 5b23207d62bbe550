/**
 * Postgres faults as an operator meets them: every weft connection terminated (pg_terminate_backend)
 * over and over during a run, and a database that is not there at all.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import { ADMIN_URL, createTestDatabase } from './helpers/postgres.js';
import { runWeft, startWeft } from './helpers/weft-process.js';

const REDIS_URL = process.env.WEFT_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'weft-pgfault-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** 24 tasks: 12 independent, 6 chains of two; each takes about 1.8 s in the simulate backend. */
function writeRequirements(dir: string): void {
  const parts = ['# Faults\n'];
  for (let i = 1; i <= 12; i++) parts.push(`## A${i}: Independent ${i}\nDo ${i}.\n`);
  for (let i = 1; i <= 6; i++) parts.push(`## B${i}: First of chain ${i}\nDo ${i}.\n`, `## C${i}: Second of chain ${i}\nDepends on: B${i}\n\nDo ${i}.\n`);
  writeFileSync(join(dir, 'REQUIREMENTS.md'), parts.join('\n'));
}

/** Terminates every connection to `database` every `everyMs` until stopped; returns how many it ended. */
function terminateLoop(database: string, everyMs: number): { stop: () => Promise<number> } {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  admin.on('error', () => undefined);
  let killed = 0;
  let stopped = false;
  const loop = (async () => {
    await admin.connect();
    while (!stopped) {
      const r = await admin.query('SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
      killed += (r.rows[0] as { n: number }).n;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
    await admin.end();
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return killed;
    },
  };
}

async function waitForRun(store: Store, runId: string, limitMs: number): Promise<string> {
  const until = Date.now() + limitMs;
  for (;;) {
    const run = await store.getRun(runId);
    if (run && ['succeeded', 'failed', 'cancelled'].includes(run.status)) return run.status;
    if (Date.now() > until) return run?.status ?? 'missing';
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function assertEachTaskSucceededOnce(store: Store, runId: string): Promise<void> {
  const tasks = await store.listTasks(runId);
  assert.equal(tasks.length, 24);
  for (const t of tasks) assert.equal(t.status, 'succeeded', `${t.id} is ${t.status}`);
  const attempts = await store.listAttempts(runId);
  for (const t of tasks) {
    const won = attempts.filter((a) => a.taskId === t.id && a.status === 'succeeded');
    assert.equal(won.length, 1, `${t.id} succeeded ${won.length} times`);
  }
}

test('3 workers on Postgres + BullMQ while every weft connection is terminated every 1.5 s: no crash, each task succeeds once, the run finishes', { timeout: 150_000 }, async () => {
  const db = await createTestDatabase();
  cleanups.push(db.drop);
  const database = new URL(db.url).pathname.slice(1);
  const prefix = `weft-test-${randomBytes(6).toString('hex')}`;
  cleanups.push(async () => {
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });
  const dir = tempDir();
  writeRequirements(dir);
  const env = { WEFT_SIM_SCALE: '30', WEFT_REDIS_URL: REDIS_URL };
  const enqueued = await runWeft(['run', 'REQUIREMENTS.md', '--agent', 'simulate', '--db', db.url, '--enqueue', '--shards', '3', '--prefix', prefix, '--concurrency', '2', '--max-attempts', '3'], { cwd: dir, env });
  assert.equal(enqueued.code, 0, enqueued.output);
  const runId = /([0-9a-z]{10,})/.exec(enqueued.output)![1]!;

  const workers = [1, 2, 3].map(() => startWeft(['worker', '--db', db.url, '--prefix', prefix], { cwd: dir, env }));
  cleanups.push(async () => void (await Promise.all(workers.map((w) => w.stop()))));
  const killer = terminateLoop(database, 1500);
  const store = await openStore(db.url);
  cleanups.push(() => store.close());
  const killStop = new Promise<number>((resolve) => setTimeout(() => resolve(killer.stop()), 25_000));
  const status = await waitForRun(store, runId, 120_000);
  const killed = await killer.stop().then((n) => n, () => 0);
  await killStop;

  for (const [i, w] of workers.entries()) assert.equal(w.child.exitCode, null, `worker ${i + 1} died:\n${w.output()}`);
  assert.equal(status, 'succeeded', workers.map((w) => w.output()).join('\n---\n'));
  assert.ok(killed > 0, 'the fault injection terminated connections');
  await assertEachTaskSucceededOnce(store, runId);
  for (const w of workers) {
    const { code } = await w.stop();
    assert.equal(code, 0, w.output());
    assert.doesNotMatch(w.output(), /Unhandled|uncaught|at .*\.js:\d+:\d+/i);
  }
});

test('weft run on Postgres while its connections are terminated every 1.5 s: exit 0, each task succeeds once', { timeout: 120_000 }, async () => {
  const db = await createTestDatabase();
  cleanups.push(db.drop);
  const dir = tempDir();
  writeRequirements(dir);
  const killer = terminateLoop(new URL(db.url).pathname.slice(1), 1500);
  const run = await runWeft(['run', 'REQUIREMENTS.md', '--agent', 'simulate', '--db', db.url, '--concurrency', '6', '--quiet', '--json'], { cwd: dir, env: { WEFT_SIM_SCALE: '20' } });
  await killer.stop();
  assert.equal(run.code, 0, run.output);
  const store = await openStore(db.url);
  cleanups.push(() => store.close());
  const runId = (await store.latestRun())!.id;
  await assertEachTaskSucceededOnce(store, runId);
});

test('a database that stays unreachable is an infrastructure failure: exit 3 naming the database', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  writeRequirements(dir);
  writeFileSync(join(dir, 'weft.config.yaml'), 'database:\n  outageSeconds: 1\n');
  const run = await runWeft(['run', 'REQUIREMENTS.md', '--agent', 'simulate', '--db', 'postgres://postgres@127.0.0.1:1/nothing', '--quiet'], { cwd: dir });
  assert.equal(run.code, 3, run.output);
  assert.match(run.output, /database unavailable/);
  assert.doesNotMatch(run.output, /\n\s+at /);
});
