/**
 * Engine benchmarks: end-to-end throughput (simulate backend, scale 0, SQLite), schedule quality on
 * random DAGs (weft's scheduler and phase-by-phase execution against the lower bound, same run),
 * and memory at 10,000 tasks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../src/config/config-schema.js';
import { simulateSchedule, type SimNode } from '../src/core/simulate-schedule.js';
import { createSimulateAgent } from '../src/engine/simulate-agent.js';
import { buildPlan } from '../src/plan/build-plan.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import { Weft } from '../src/weft.js';
import { generateRequirements, seededRandom } from './lib/generate-requirements.js';

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MB`;

async function throughput(tasks: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-'));
  try {
    const store = openSqliteStore(join(dir, 'weft.db'));
    await store.migrate();
    const weft = new Weft(defaultConfig(), store, dir, () => createSimulateAgent({ scale: 0, failRate: 0, seed: 1 }));
    const plan = buildPlan({ requirements: { text: generateRequirements({ tasks, itemsPerRequirement: 4 }), file: 'gen.md' } });
    const open = plan.tasks.filter((t) => t.status !== 'done').length;
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const run = await weft.createRun(plan, { agent: 'simulate', concurrency: 8 });
    const t1 = performance.now();
    const outcome = await weft.executeRun(run.id);
    const t2 = performance.now();
    const mem = process.memoryUsage();
    if (outcome.run.status !== 'succeeded') throw new Error(`run ended ${outcome.run.status}`);
    const rate = open / ((t2 - t0) / 1000);
    console.log(`throughput: ${open} tasks (simulate, scale 0, SQLite, concurrency 8)`);
    console.log(`  create run ${(t1 - t0).toFixed(0)} ms · execute ${(t2 - t1).toFixed(0)} ms · ${rate.toFixed(0)} tasks/s end to end (aim >= 1000: ${rate >= 1000 ? 'PASS' : 'MISS'})`);
    console.log(`  memory: heap ${mb(mem.heapUsed)} (+${mb(mem.heapUsed - heapBefore)} during the run) · rss ${mb(mem.rss)}`);
    await weft.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A random layered DAG with estimates, the shape of real plans (foundations, fan-out, joins). */
function randomDag(n: number, seed: number): SimNode[] {
  const rand = seededRandom(seed);
  const nodes: SimNode[] = [];
  for (let i = 0; i < n; i++) {
    const deps = new Set<string>();
    const k = i === 0 ? 0 : Math.floor(rand() * 4);
    for (let j = 0; j < k; j++) deps.add(`t${Math.floor(rand() * i)}`);
    const priorities = ['critical', 'high', 'medium', 'low'] as const;
    nodes.push({ id: `t${i}`, dependsOn: [...deps], estimateMinutes: 15 + Math.floor(rand() * 16) * 15, priority: priorities[Math.floor(rand() * 4)]! });
  }
  return nodes;
}

function scheduleQuality(): void {
  console.log('schedule quality: makespan / lower bound on random DAGs (mean and worst of 40 per row)');
  console.log('  tasks  workers   weft mean  weft worst   phase-by-phase mean   weft vs phases');
  for (const [n, w] of [[50, 2], [50, 4], [200, 4], [200, 8], [1000, 8], [1000, 16]] as const) {
    let weftSum = 0;
    let weftWorst = 0;
    let phaseSum = 0;
    let speedup = 0;
    const trials = 40;
    for (let s = 0; s < trials; s++) {
      const nodes = randomDag(n, 1000 * n + 10 * w + s);
      const a = simulateSchedule(nodes, w, 'critical-path');
      const b = simulateSchedule(nodes, w, 'phase-by-phase');
      const ra = a.makespanMinutes / a.lowerBoundMinutes;
      weftSum += ra;
      weftWorst = Math.max(weftWorst, ra);
      phaseSum += b.makespanMinutes / b.lowerBoundMinutes;
      speedup += b.makespanMinutes / a.makespanMinutes;
    }
    const mean = weftSum / trials;
    console.log(
      `  ${String(n).padStart(5)}  ${String(w).padStart(7)}   ${mean.toFixed(3).padStart(9)}  ${weftWorst.toFixed(3).padStart(10)}   ${(phaseSum / trials).toFixed(3).padStart(19)}   ${(speedup / trials).toFixed(2)}× faster`,
    );
  }
  console.log('  (aim: weft within 5% of the lower bound on average)');
}

scheduleQuality();
await throughput(10_000);
