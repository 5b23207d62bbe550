import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { defaultConfig } from '../src/config/config-schema.js';
import { EngineEvents } from '../src/engine/events.js';
import { loadRunStatus } from '../src/engine/run-status.js';
import { createSimulateAgent } from '../src/engine/simulate-agent.js';
import { buildPlan } from '../src/plan/build-plan.js';
import { openStore } from '../src/store/open-store.js';
import { Weft } from '../src/weft.js';
import { generateRequirements } from '../bench/lib/generate-requirements.js';
import { createTestDatabase } from './helpers/postgres.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('two engines on two Postgres connections share one run: every task runs exactly once', { timeout: 60_000 }, async () => {
  const db = await createTestDatabase();
  cleanups.push(db.drop);
  const url = db.url;
  const dir = mkdtempSync(join(tmpdir(), 'weft-pg-engine-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));

  const agent = () => createSimulateAgent({ scale: 0.2, failRate: 0, seed: 1 });
  const machineA = new Weft(defaultConfig(), await openStore(url), dir, agent);
  const machineB = new Weft(defaultConfig(), await openStore(url), dir, agent);
  const plan = buildPlan({ requirements: { text: generateRequirements({ tasks: 150, itemsPerRequirement: 3, seed: 9 }), file: 'gen.md' } });
  const run = await machineA.createRun(plan, { agent: 'simulate', concurrency: 4 });

  const started = new Map<string, number>();
  const count = (events: EngineEvents, who: string) =>
    events.on('task.started', (e) => started.set(`${e.taskId}`, (started.get(e.taskId) ?? 0) + 1 + (who === 'B' ? 1000 : 0)));
  const ea = new EngineEvents();
  const eb = new EngineEvents();
  count(ea, 'A');
  count(eb, 'B');
  await Promise.all([machineA.executeRun(run.id, { events: ea }), machineB.executeRun(run.id, { events: eb })]);

  const status = await loadRunStatus(machineA.store, run.id);
  assert.equal(status.run.status, 'succeeded');
  const open = status.tasks.filter((t) => t.status !== 'done');
  assert.ok(open.every((t) => t.status === 'succeeded' && t.attempts.length === 1), 'each task ran once');
  const byB = [...started.values()].filter((n) => n > 1000).length;
  const byA = [...started.values()].filter((n) => n === 1).length;
  assert.equal(byA + byB, open.length, 'no task started on both machines');
  assert.ok(byA > 0 && byB > 0, `both machines worked (A ${byA}, B ${byB})`);
  await machineA.close();
  await machineB.close();
});
