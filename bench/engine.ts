/**
 * Engine benchmarks: end-to-end throughput (simulate backend, scale 0, SQLite), schedule quality on
 * random DAGs (weft's scheduler against first-come-first-served, Task Master's next order and
 * phase-by-phase execution, all against the lower bound in the same run),
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

/** Policies a user would otherwise pick, compared with weft's on the same DAGs. */
const ALTERNATIVES = [
  ['fcfs', 'first come, first served'],
  ['taskmaster', "Task Master's next (priority, fewest deps, id)"],
  ['phase-by-phase', 'phase by phase'],
] as const;

function scheduleQuality(): void {
  const trials = 40;
  console.log(`schedule quality: makespan / lower bound on random DAGs (mean of ${trials} per row; weft's worst too)`);
  console.log(`  alternatives: ${ALTERNATIVES.map(([k, d]) => `${k} = ${d}`).join('; ')}`);
  console.log(`  "+x%" = the alternative's makespan over weft's on the same DAG (mean)`);
  const head = ALTERNATIVES.map(([k]) => k.padStart(22)).join('');
  console.log(`  tasks  workers   weft mean  weft worst${head}`);
  for (const [n, w] of [[50, 2], [50, 4], [200, 4], [200, 8], [1000, 8], [1000, 16]] as const) {
    let weftSum = 0;
    let weftWorst = 0;
    const altRatio = ALTERNATIVES.map(() => 0);
    const altSlower = ALTERNATIVES.map(() => 0);
    for (let s = 0; s < trials; s++) {
      const nodes = randomDag(n, 1000 * n + 10 * w + s);
      const a = simulateSchedule(nodes, w, 'critical-path');
      const ra = a.makespanMinutes / a.lowerBoundMinutes;
      weftSum += ra;
      weftWorst = Math.max(weftWorst, ra);
      ALTERNATIVES.forEach(([policy], k) => {
        const b = simulateSchedule(nodes, w, policy);
        altRatio[k]! += b.makespanMinutes / b.lowerBoundMinutes;
        altSlower[k]! += b.makespanMinutes / a.makespanMinutes;
      });
    }
    const cells = ALTERNATIVES.map((_, k) => `${(altRatio[k]! / trials).toFixed(3)} (+${((altSlower[k]! / trials - 1) * 100).toFixed(1)}%)`.padStart(22)).join('');
    console.log(`  ${String(n).padStart(5)}  ${String(w).padStart(7)}   ${(weftSum / trials).toFixed(3).padStart(9)}  ${weftWorst.toFixed(3).padStart(10)}${cells}`);
  }
  console.log('  (aim: weft within 5% of the lower bound on average)');
}

scheduleQuality();
if (!process.env.WEFT_BENCH_QUALITY_ONLY) await throughput(10_000);
