/**
 * API benchmark: 10,000 tasks stored in SQLite, `weft serve`'s server in this process, and autocannon
 * in a second process against `GET /api/v1/tasks?limit=50` — once flat out (requests per second) and
 * once at a fixed 1,000 requests per second (latency percentiles), with the task page cache on (as
 * `weft serve` runs) and off. Aim: p99 under 20 ms at 1,000 req/s. `WEFT_BENCH_SECONDS` sets the length.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultConfig } from '../src/config/config-schema.js';
import type { Priority, TaskSpec, TaskType } from '../src/core/task.js';
import { buildServer } from '../src/server/build-server.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import { Weft } from '../src/weft.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const AUTOCANNON = join(ROOT, 'node_modules', '.bin', 'autocannon');
const TASKS = 10_000;
const RUNS = 10;
const SECONDS = Number(process.env.WEFT_BENCH_SECONDS ?? 10);
const AIM_P99_MS = 20;
const RATE = 1000;

interface Result {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  errors: number;
  non2xx: number;
  timeouts: number;
}

/** Runs autocannon in its own process and returns its JSON summary. */
function autocannon(args: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(AUTOCANNON, [...args, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited with ${code}`));
      try {
        // With a warm-up, the warm-up's summary comes first; the last line is the measured run.
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as Result);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

function spec(i: number): TaskSpec {
  const types: TaskType[] = ['feature', 'bug_fix', 'test', 'docs', 'refactor'];
  const priorities: Priority[] = ['critical', 'high', 'medium', 'low'];
  const id = `t${String(i).padStart(5, '0')}`;
  return {
    id,
    title: `Task ${i}: implement part ${i} of the system`,
    description: `Implement part ${i}. `.repeat(8),
    type: types[i % types.length]!,
    typeReason: 'benchmark',
    priority: priorities[i % priorities.length]!,
    status: 'pending',
    dependsOn: i % 10 ? [`t${String(i - 1).padStart(5, '0')}`] : [],
    estimateMinutes: 30,
    files: [`src/part-${i}.ts`],
    acceptanceCriteria: [`part ${i} works`, `part ${i} is tested`],
    requirementId: `r${Math.floor(i / 10)}`,
    requirementTitle: `Requirement ${Math.floor(i / 10)}`,
    source: { file: 'REQUIREMENTS.md', line: i + 1 },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'weft-bench-api-'));
const store = openSqliteStore(join(dir, 'weft.db'));
await store.migrate();
const perRun = TASKS / RUNS;
for (let r = 0; r < RUNS; r++) {
  const tasks = Array.from({ length: perRun }, (_, k) => ({ spec: spec(r * perRun + k), tailMinutes: 30, phase: 1 }));
  // Dependencies stay inside a run: renumber them relative to the run's first task.
  for (const t of tasks) t.spec.dependsOn = t.spec.dependsOn.filter((d) => Number(d.slice(1)) >= r * perRun);
  await store.createRun({ id: `bench${r}`, title: `Bench run ${r}`, agent: 'simulate', concurrency: 4, maxAttempts: 3, createdAt: Date.now() + r }, tasks);
}
const weft = new Weft(defaultConfig(), store, dir);
const stored = Object.values(await store.countTasks()).reduce((a, b) => a + b, 0);
console.log(`GET /api/v1/tasks?limit=50 with ${stored} tasks stored (SQLite), autocannon in a second process, ${SECONDS} s per line`);

const row = (label: string, r: Result) =>
  `${label.padEnd(40)} ${String(Math.round(r.requests.average)).padStart(6)} req/s   p50 ${String(r.latency.p50).padStart(3)} ms   p90 ${String(r.latency.p90).padStart(3)} ms   p99 ${String(r.latency.p99).padStart(3)} ms   max ${String(r.latency.max).padStart(4)} ms   errors ${r.errors + r.non2xx + r.timeouts}`;

let errors = 0;
let met = false;
// As `weft serve --rate-limit 0` runs: the point is the server's own speed. Served (the page cache
// on, as `weft serve` runs) and with the cache off, which reads the store on every request.
for (const [label, listCacheMs] of [['', 1000], [', no page cache', 0]] as const) {
  const app = await buildServer({ weft, tokens: [], rateLimitPerMinute: 0, listCacheMs });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/api/v1/tasks?limit=50`;
  try {
    const check = await fetch(url);
    const body = (await check.json()) as { tasks: unknown[] };
    if (check.status !== 200 || body.tasks.length !== 50) throw new Error(`unexpected answer ${check.status}`);
    const flat = await autocannon(['-c', '10', '-d', String(SECONDS), '-W', '[', '-c', '10', '-d', '2', ']', url]);
    const fixed = await autocannon(['-c', '10', '-d', String(SECONDS), '-R', String(RATE), url]);
    console.log(row(`flat out, 10 connections${label}`, flat));
    console.log(row(`fixed ${RATE} req/s${label}`, fixed));
    if (listCacheMs > 0) met = fixed.latency.p99 < AIM_P99_MS && fixed.requests.average >= RATE * 0.95;
    errors += flat.errors + flat.non2xx + fixed.errors + fixed.non2xx;
  } finally {
    await app.close();
  }
}
console.log(`aim: p99 < ${AIM_P99_MS} ms at ${RATE} req/s: ${met ? 'met' : 'MISSED'} (${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(1)})`);
if (errors > 0) process.exitCode = 1;
await store.close();
rmSync(dir, { recursive: true, force: true });
