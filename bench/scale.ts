/**
 * Scale test: 100,000 tasks planned, stored and run with the simulate agent (scale 0) on Postgres,
 * whole pipeline in one process: time of each stage and the peak RSS. Aim: < 3 min, < 1 GB.
 * `WEFT_BENCH_SCALE_TASKS` changes the size; skipped (exit 0) when Postgres is not reachable.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import pg from 'pg';
import { defaultConfig } from '../src/config/config-schema.js';
import { createSimulateAgent } from '../src/engine/simulate-agent.js';
import { buildPlan } from '../src/plan/build-plan.js';
import { openPostgresStore } from '../src/store/postgres-store.js';
import { Weft } from '../src/weft.js';
import { generateRequirements } from './lib/generate-requirements.js';

const TASKS = Number(process.env.WEFT_BENCH_SCALE_TASKS ?? 100_000);
const PG_ADMIN = process.env.WEFT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MB`;

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

const admin = new pg.Client({ connectionString: PG_ADMIN });
try {
  await admin.connect();
} catch (err) {
  console.log(`scale: skipped, Postgres not reachable (${(err as Error).message})`);
  process.exit(0);
}
const name = `weft_scale_${randomBytes(4).toString('hex')}`;
await admin.query(`CREATE DATABASE ${name}`);
try {
  const url = new URL(PG_ADMIN);
  url.pathname = `/${name}`;
  const t0 = performance.now();
  const text = generateRequirements({ tasks: TASKS, itemsPerRequirement: 4 });
  const plan = buildPlan({ requirements: { text, file: 'gen.md' } });
  const t1 = performance.now();
  const store = openPostgresStore(url.toString());
  await store.migrate();
  const weft = new Weft(defaultConfig(), store, tmpdir(), () => createSimulateAgent({ scale: 0, failRate: 0, seed: 1 }));
  const run = await weft.createRun(plan, { agent: 'simulate', concurrency: 32 });
  const t2 = performance.now();
  const outcome = await weft.executeRun(run.id);
  const t3 = performance.now();
  await weft.close();
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const open = plan.tasks.filter((t) => t.status !== 'done').length;
  const total = (t3 - t0) / 1000;
  console.log(`scale: ${plan.tasks.length} tasks (${open} open) on Postgres, simulate agent, concurrency 32 — run ${outcome.run.status}`);
  console.log(`  plan ${((t1 - t0) / 1000).toFixed(1)} s · store ${((t2 - t1) / 1000).toFixed(1)} s · run ${((t3 - t2) / 1000).toFixed(1)} s (${(open / ((t3 - t2) / 1000)).toFixed(0)} tasks/s) · total ${total.toFixed(1)} s`);
  console.log(`  peak RSS ${mb(peakRss)} (aim: total < 180 s: ${total < 180 ? 'met' : 'MISSED'}; peak < 1 GB: ${peakRss < 1024 ** 3 ? 'met' : 'MISSED'})`);
  if (outcome.run.status !== 'succeeded') process.exitCode = 1;
} finally {
  clearInterval(sampler);
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
