/**
 * API benchmark: 10,000 tasks stored in SQLite, `weft serve`'s server in this process, and the load
 * in a second process (autocannon, bench/lib/load-client.ts) over real traffic shapes:
 *   - `GET /api/v1/tasks` over every distinct page of the store (cursor pages of 25 across runs and
 *     filters), not one cached URL;
 *   - `GET /api/v1/tasks/:id` over distinct tasks;
 *   - one cached page, for comparison with the earlier figure.
 * Each flat out (requests per second) with `weft serve`'s default rate limit and with it off, and at a
 * fixed rate (latency percentiles). Aims: >= 2,000 req/s over distinct pages with p99 < 20 ms;
 * task details p99 < 20 ms. `WEFT_BENCH_SECONDS` sets the length of each line.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultConfig } from '../src/config/config-schema.js';
import type { Priority, TaskSpec, TaskType } from '../src/core/task.js';
import { buildServer, DEFAULT_RATE_LIMIT_PER_MINUTE } from '../src/server/build-server.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import { Weft } from '../src/weft.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LOAD_CLIENT = join(ROOT, 'bench', 'lib', 'load-client.ts');
const TASKS = 10_000;
const RUNS = 10;
const SECONDS = Number(process.env.WEFT_BENCH_SECONDS ?? 8);
const AIM_P99_MS = 20;
const AIM_PAGES_RPS = 2000;

interface Result {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  errors: number;
  non2xx: number;
  timeouts: number;
}

let loads = 0;

/** Runs the load client in its own process over `paths` and returns autocannon's summary. */
function load(base: string, paths: string[], opts: { connections: number; rate: number }): Promise<Result> {
  return new Promise((resolve, reject) => {
    const configFile = join(dir, `load-${loads++}.json`);
    writeFileSync(configFile, JSON.stringify({ base, paths, connections: opts.connections, seconds: SECONDS, rate: opts.rate }));
    const child = spawn(process.execPath, ['--import', 'tsx', LOAD_CLIENT, configFile], { stdio: ['ignore', 'pipe', 'inherit'], cwd: ROOT });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`load client exited with ${code}`));
      try {
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

/** Every distinct page URL a client walking the task list would ask for (all tasks, and per run). */
async function pageUrls(base: string): Promise<string[]> {
  const urls: string[] = [];
  const walk = async (query: string) => {
    let cursor: string | null = null;
    do {
      const path = `/api/v1/tasks?limit=25${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await fetch(base + path);
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      const body = (await res.json()) as { nextCursor: string | null };
      urls.push(path);
      cursor = body.nextCursor;
    } while (cursor);
  };
  await walk('');
  for (let r = 0; r < RUNS; r += 3) await walk(`&run=bench${r}`);
  for (const status of ['pending', 'ready']) await walk(`&status=${status}&run=bench1`);
  return urls;
}

const detailUrls = Array.from({ length: 2000 }, (_, k) => {
  const i = (k * 7919) % TASKS;
  return `/api/v1/tasks/${encodeURIComponent(`bench${Math.floor(i / (TASKS / RUNS))}:${spec(i).id}`)}`;
});

console.log(`API with ${stored} tasks stored (SQLite), load from a second process, ${SECONDS} s per line, 10 connections`);
const row = (label: string, r: Result) =>
  `  ${label.padEnd(52)} ${String(Math.round(r.requests.average)).padStart(6)} req/s   p50 ${String(r.latency.p50).padStart(3)} ms   p99 ${String(r.latency.p99).padStart(3)} ms   max ${String(r.latency.max).padStart(4)} ms   non-2xx ${r.non2xx}${r.errors + r.timeouts ? `   errors ${r.errors + r.timeouts}` : ''}`;

let failures = 0;
const aims: string[] = [];
for (const [label, rateLimitPerMinute] of [[`default rate limit (${DEFAULT_RATE_LIMIT_PER_MINUTE}/min per client)`, undefined], ['rate limit off (--rate-limit 0)', 0]] as const) {
  const app = await buildServer({ weft, tokens: [], ...(rateLimitPerMinute === undefined ? {} : { rateLimitPerMinute }) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  try {
    const pages = await pageUrls(base);
    console.log(`${label}: ${pages.length} distinct task pages, ${detailUrls.length} distinct task details`);
    const distinct = await load(base, pages, { connections: 10, rate: 0 });
    console.log(row('GET /api/v1/tasks, distinct pages, flat out', distinct));
    const details = await load(base, detailUrls, { connections: 10, rate: 0 });
    console.log(row('GET /api/v1/tasks/:id, distinct tasks, flat out', details));
    const one = await load(base, [pages[0]!], { connections: 10, rate: 0 });
    console.log(row('GET /api/v1/tasks, one cached page, flat out', one));
    if (rateLimitPerMinute === 0) {
      const fixed = await load(base, pages, { connections: 10, rate: AIM_PAGES_RPS });
      console.log(row(`GET /api/v1/tasks, distinct pages, fixed ${AIM_PAGES_RPS} req/s`, fixed));
      const fixedDetails = await load(base, detailUrls, { connections: 10, rate: 1000 });
      console.log(row('GET /api/v1/tasks/:id, distinct tasks, fixed 1000 req/s', fixedDetails));
      aims.push(`distinct pages >= ${AIM_PAGES_RPS} req/s with p99 < ${AIM_P99_MS} ms: ${distinct.requests.average >= AIM_PAGES_RPS && fixed.latency.p99 < AIM_P99_MS ? 'met' : 'MISSED'}`);
      aims.push(`task details p99 < ${AIM_P99_MS} ms at 1000 req/s: ${fixedDetails.latency.p99 < AIM_P99_MS ? 'met' : 'MISSED'}`);
      failures += distinct.non2xx + details.non2xx + fixed.non2xx + fixedDetails.non2xx;
    } else {
      console.log(`  (with the default limit, a single client past ${DEFAULT_RATE_LIMIT_PER_MINUTE} requests a minute gets 429: the non-2xx column)`);
    }
  } finally {
    await app.close();
  }
}
console.log(`aims: ${aims.join('; ')} (${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(1)})`);
if (failures > 0) process.exitCode = 1;
await store.close();
rmSync(dir, { recursive: true, force: true });
