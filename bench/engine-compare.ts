/**
 * The engine against what a user would otherwise pick, on the same 10,000-task DAG in one session:
 * weft on SQLite, weft on Postgres, and BullMQ (FlowProducer) on the local Redis with no-op jobs.
 * All three run the simulate agent / a no-op at concurrency 32, end to end (enqueue to last job).
 *
 * BullMQ flows are trees (one parent per job), so the DAG becomes a spanning forest: each task is a
 * child of its first dependent. Edges that do not fit the tree are dropped, which leaves BullMQ less
 * ordering to enforce than weft: the comparison leans in BullMQ's favour (the dropped count is printed).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowProducer, Worker, type FlowJob } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { defaultConfig } from '../src/config/config-schema.js';
import type { TaskSpec } from '../src/core/task.js';
import { createSimulateAgent } from '../src/engine/simulate-agent.js';
import { buildPlan } from '../src/plan/build-plan.js';
import { openPostgresStore } from '../src/store/postgres-store.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { Weft } from '../src/weft.js';
import { generateRequirements } from './lib/generate-requirements.js';

const TASKS = Number(process.env.WEFT_BENCH_TASKS ?? 10_000);
const CONCURRENCY = 32;
const PG_ADMIN = process.env.WEFT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.WEFT_TEST_REDIS ?? 'redis://127.0.0.1:6379';

const plan = buildPlan({ requirements: { text: generateRequirements({ tasks: TASKS, itemsPerRequirement: 4 }), file: 'gen.md' } });
const open = plan.tasks.filter((t) => t.status !== 'done');

/** weft end to end: create the run, execute it; tasks/s over the open tasks. */
async function weftRun(store: Store): Promise<{ rate: number; ms: number }> {
  await store.migrate();
  const weft = new Weft(defaultConfig(), store, tmpdir(), () => createSimulateAgent({ scale: 0, failRate: 0, seed: 1 }));
  const t0 = performance.now();
  const run = await weft.createRun(plan, { agent: 'simulate', concurrency: CONCURRENCY });
  const outcome = await weft.executeRun(run.id);
  const ms = performance.now() - t0;
  if (outcome.run.status !== 'succeeded') throw new Error(`run ended ${outcome.run.status}`);
  await weft.close();
  return { rate: open.length / (ms / 1000), ms };
}

async function weftSqlite() {
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-'));
  try {
    return await weftRun(openSqliteStore(join(dir, 'weft.db')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function weftPostgres() {
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  const name = `weft_bench_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(PG_ADMIN);
    url.pathname = `/${name}`;
    return await weftRun(openPostgresStore(url.toString()));
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

/** The same open tasks as BullMQ flows: each task a child of its first open dependent. */
function toFlows(tasks: readonly TaskSpec[], queueName: string): { flows: FlowJob[]; kept: number; dropped: number } {
  const ids = new Set(tasks.map((t) => t.id));
  const parentOf = new Map<string, string>();
  let edges = 0;
  for (const t of tasks) {
    for (const d of t.dependsOn) {
      if (!ids.has(d)) continue;
      edges++;
      if (!parentOf.has(d)) parentOf.set(d, t.id);
    }
  }
  const children = new Map<string, string[]>();
  for (const [child, parent] of parentOf) children.set(parent, [...(children.get(parent) ?? []), child]);
  const build = (id: string): FlowJob => ({ name: 'task', queueName, data: { id }, opts: { removeOnComplete: true }, children: (children.get(id) ?? []).map(build) });
  const roots = tasks.filter((t) => !parentOf.has(t.id)).map((t) => build(t.id));
  return { flows: roots, kept: parentOf.size, dropped: edges - parentOf.size };
}

async function bullmq(): Promise<{ rate: number; ms: number; kept: number; dropped: number }> {
  const prefix = `weft-bench-${randomBytes(4).toString('hex')}`;
  const queueName = 'tasks';
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const { flows, kept, dropped } = toFlows(open, queueName);
  let done = 0;
  let resolveAll!: () => void;
  const all = new Promise<void>((r) => (resolveAll = r));
  const worker = new Worker(queueName, async () => undefined, { connection, prefix, concurrency: CONCURRENCY, autorun: false });
  worker.on('completed', () => {
    if (++done === open.length) resolveAll();
  });
  const producer = new FlowProducer({ connection, prefix });
  const t0 = performance.now();
  await producer.addBulk(flows);
  void worker.run();
  await all;
  const ms = performance.now() - t0;
  await worker.close();
  await producer.close();
  const keys = await connection.keys(`${prefix}:*`);
  for (let i = 0; i < keys.length; i += 500) await connection.del(...keys.slice(i, i + 500));
  await connection.quit();
  return { rate: open.length / (ms / 1000), ms, kept, dropped };
}

console.log(`engine comparison: ${open.length} open tasks, ${open.reduce((n, t) => n + t.dependsOn.length, 0)} dependencies, concurrency ${CONCURRENCY}, no-op work`);
const rows: [string, { rate: number; ms: number }][] = [];
rows.push(['weft, SQLite', await weftSqlite()]);
rows.push(['weft, Postgres', await weftPostgres().catch((err: Error) => (console.log(`  weft, Postgres: skipped (${err.message})`), { rate: NaN, ms: NaN }))]);
const bull = await bullmq().catch((err: Error) => (console.log(`  BullMQ: skipped (${err.message})`), null));
if (bull) rows.push([`BullMQ FlowProducer (tree: ${bull.kept} edges kept, ${bull.dropped} dropped)`, bull]);
const ref = bull?.rate ?? NaN;
for (const [name, r] of rows) {
  console.log(`  ${name.padEnd(58)} ${r.rate.toFixed(0).padStart(6)} tasks/s  ${(r.ms / 1000).toFixed(2).padStart(6)} s${Number.isFinite(ref) && name.startsWith('weft') ? `   ${(r.rate / ref).toFixed(2)}× BullMQ` : ''}`);
}
const [sq, pgr] = [rows[0]![1].rate, rows[1]![1].rate];
if (Number.isFinite(pgr)) console.log(`  Postgres / SQLite: ${(pgr / sq).toFixed(2)} (aim: Postgres >= 1000 tasks/s, within 1.5× of SQLite; SQLite >= 2000)`);
process.exit(0);
