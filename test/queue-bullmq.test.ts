import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { generateRequirements } from '../bench/lib/generate-requirements.js';
import { runJobHandler } from '../src/cli/commands/worker.js';
import { defaultConfig } from '../src/config/config-schema.js';
import { loadRunStatus } from '../src/engine/run-status.js';
import { createSimulateAgent } from '../src/engine/simulate-agent.js';
import { buildPlan } from '../src/plan/build-plan.js';
import { createBullmqQueue, startBullmqWorker } from '../src/queue/bullmq-queue.js';
import type { RunWorkerEvent } from '../src/queue/run-queue.js';
import { openStore } from '../src/store/open-store.js';
import { Weft } from '../src/weft.js';
import { createTestDatabase } from './helpers/postgres.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const REDIS_URL = process.env.WEFT_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A fresh Postgres database, dropped when the tests end. */
async function freshDatabase(): Promise<string> {
  const db = await createTestDatabase();
  cleanups.push(db.drop);
  return db.url;
}

/** A unique Redis key prefix whose keys are deleted when the tests end. */
function freshPrefix(): string {
  const prefix = `weft-test-${randomBytes(6).toString('hex')}`;
  cleanups.push(async () => {
    const redis = new Redis(REDIS_URL);
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  });
  return prefix;
}

test('a run enqueued with 2 shards is executed by two workers together: every task runs once', { timeout: 30_000 }, async () => {
  const db = await freshDatabase();
  const prefix = freshPrefix();
  const dir = mkdtempSync(join(tmpdir(), 'weft-queue-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));

  const agent = () => createSimulateAgent({ scale: 0.05, failRate: 0, seed: 3 });
  const machineA = new Weft(defaultConfig(), await openStore(db), dir, agent);
  const machineB = new Weft(defaultConfig(), await openStore(db), dir, agent);
  cleanups.push(async () => {
    await machineA.close();
    await machineB.close();
  });
  const plan = buildPlan({ requirements: { text: generateRequirements({ tasks: 100, itemsPerRequirement: 3, seed: 5 }), file: 'gen.md' } });
  const run = await machineA.createRun(plan, { agent: 'simulate', concurrency: 4 });

  const queue = createBullmqQueue({ redisUrl: REDIS_URL, prefix });
  cleanups.push(async () => {
    await queue.queue.obliterate({ force: true });
    await queue.close();
  });
  await queue.enqueue(run.id, { shards: 2 });
  await queue.enqueue(run.id, { shards: 2 });
  await queue.enqueue(run.id);
  const queued = await queue.queue.getJobCounts('waiting', 'active', 'delayed');
  assert.equal(queued.waiting, 2, 're-enqueueing adds no duplicate jobs');

  const events: { worker: string; event: RunWorkerEvent }[] = [];
  let finished = 0;
  let allDone!: () => void;
  const done = new Promise<void>((resolve) => (allDone = resolve));
  const start = (name: string, weft: Weft) =>
    startBullmqWorker(runJobHandler(weft), {
      redisUrl: REDIS_URL,
      prefix,
      concurrency: 1,
      onEvent: (event) => {
        events.push({ worker: name, event });
        if (event.type === 'job.finished' && ++finished === 2) allDone();
      },
    });
  const workerA = start('A', machineA);
  const workerB = start('B', machineB);
  try {
    await done;
  } finally {
    await Promise.all([workerA.close(), workerB.close()]);
  }

  const status = await loadRunStatus(machineA.store, run.id);
  assert.equal(status.run.status, 'succeeded');
  const open = status.tasks.filter((t) => t.status !== 'done');
  assert.equal(status.tasks.length, plan.tasks.length);
  assert.ok(open.length > 90, `a large run (${open.length} tasks)`);
  for (const t of open) assert.ok(t.status === 'succeeded' && t.attempts.length === 1, `${t.id} ran once (${t.status}, ${t.attempts.length} attempts)`);
  const startedBy = events.filter((e) => e.event.type === 'job.started').map((e) => e.worker);
  assert.deepEqual(startedBy.sort(), ['A', 'B'], 'each worker took one shard');
  assert.ok(!events.some((e) => e.event.type === 'job.failed' || e.event.type === 'error'), JSON.stringify(events));
  const left = await queue.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
  assert.deepEqual(Object.values(left), [0, 0, 0, 0, 0], 'completed jobs are removed');
});

test('weft worker refuses a SQLite database (exit 2)', { timeout: 20_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-queue-cli-'));
  try {
    const env = { ...process.env };
    delete env.WEFT_DB;
    const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), join(ROOT, 'src', 'cli', 'main.ts'), 'worker', '--db', join(dir, 'weft.db')], { cwd: dir, env, encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /needs a shared Postgres store/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('weft run --enqueue stores the run, queues its shards and exits without executing it', { timeout: 20_000 }, async () => {
  const db = await freshDatabase();
  const prefix = freshPrefix();
  const dir = mkdtempSync(join(tmpdir(), 'weft-queue-cli-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'REQUIREMENTS.md'), generateRequirements({ tasks: 10, itemsPerRequirement: 2, seed: 1 }));
  const r = spawnSync(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), join(ROOT, 'src', 'cli', 'main.ts'), 'run', '--enqueue', '--shards', '3', '--redis', REDIS_URL, '--prefix', prefix, '--db', db],
    { cwd: dir, encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const runId = r.stdout.trim();
  assert.match(runId, /^[a-z0-9]+$/);
  const queue = createBullmqQueue({ redisUrl: REDIS_URL, prefix });
  cleanups.push(async () => {
    await queue.queue.obliterate({ force: true });
    await queue.close();
  });
  const jobs = await queue.queue.getJobs(['waiting']);
  assert.deepEqual(jobs.map((j) => j.id).sort(), [0, 1, 2].map((n) => `${runId}-${n}`));
  const store = await openStore(db);
  try {
    const run = await store.getRun(runId);
    assert.equal(run?.status, 'pending', 'nothing executed');
  } finally {
    await store.close();
  }
});
