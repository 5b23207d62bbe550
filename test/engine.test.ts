import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { AgentError, type AgentBackend } from '../src/agents/agent-backend.js';
import { defaultConfig } from '../src/config/config-schema.js';
import { EngineEvents } from '../src/engine/events.js';
import { loadRunStatus } from '../src/engine/run-status.js';
import { createSimulateAgent, sleep } from '../src/engine/simulate-agent.js';
import { buildPlan } from '../src/plan/build-plan.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import { Weft, type AgentFactory } from '../src/weft.js';
import { generateRequirements } from '../bench/lib/generate-requirements.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'weft-engine-'));
  dirs.push(d);
  return d;
}

const DOC = `# Shop

Context for every task.

## A: Schema
Estimate: 40m

## B: Accounts
Depends on: A
Estimate: 30m

## C: Catalog
Depends on: A
Estimate: 60m

## D: Checkout
Depends on: B, C
Estimate: 20m

## E: Docs
Estimate: 10m

## F: Release
Depends on: D, E
Estimate: 10m
`;

async function makeWeft(factory: AgentFactory, tweak: (c: ReturnType<typeof defaultConfig>) => void = () => undefined) {
  const dir = tempDir();
  const store = openSqliteStore(join(dir, 'weft.db'));
  await store.migrate();
  const config = defaultConfig();
  config.retry = { baseMs: 5, maxMs: 20, multiplier: 2 };
  config.circuitBreaker = { consecutiveFailures: 1000, halfOpenAfterMs: 50 };
  tweak(config);
  return new Weft(config, store, dir, factory);
}

/** Records when each task started and finished, and the peak number running at once. */
function track(events: EngineEvents) {
  const started = new Map<string, number[]>();
  const succeeded = new Map<string, number>();
  let running = 0;
  let peak = 0;
  let seq = 0;
  events.on('task.started', (e) => {
    running++;
    peak = Math.max(peak, running);
    started.set(e.taskId, [...(started.get(e.taskId) ?? []), ++seq]);
  });
  const end = () => running--;
  events.on('task.succeeded', (e) => {
    end();
    succeeded.set(e.taskId, ++seq);
  });
  events.on('attempt.failed', end);
  return { started, succeeded, peak: () => peak };
}

describe('engine', () => {
  // How close the makespan comes to its lower bound is measured in bench/, not asserted on a shared machine.
  test('respects concurrency and dependencies, and runs work in parallel', async () => {
    const weft = await makeWeft(() => createSimulateAgent({ scale: 3, failRate: 0, seed: 1 }));
    const text = generateRequirements({ tasks: 60, itemsPerRequirement: 0, maxDeps: 2, window: 8, seed: 7 });
    const plan = buildPlan({ requirements: { text, file: 'gen.md' } });
    const run = await weft.createRun(plan, { agent: 'simulate', concurrency: 4 });
    const events = new EngineEvents();
    const t = track(events);
    const outcome = await weft.executeRun(run.id, { events });
    assert.equal(outcome.run.status, 'succeeded', JSON.stringify((await loadRunStatus(weft.store, run.id)).tasks.filter((x) => x.status !== 'succeeded').slice(0, 3)));
    assert.ok(t.peak() <= 4, `peak concurrency ${t.peak()} > 4`);
    assert.ok(t.peak() >= 2, 'work ran in parallel');
    for (const task of plan.tasks) {
      const first = t.started.get(task.id)![0]!;
      for (const dep of task.dependsOn) assert.ok(t.succeeded.get(dep)! < first, `${task.id} started before ${dep} finished`);
    }
    await weft.close();
  });

  test('retries failures, never runs a task after a failed dependency, and reports failure', async () => {
    const weft = await makeWeft(() => createSimulateAgent({ scale: 0, failRate: 0.35, seed: 11 }));
    const text = generateRequirements({ tasks: 120, itemsPerRequirement: 0, maxDeps: 2, window: 10, seed: 3 });
    const plan = buildPlan({ requirements: { text, file: 'gen.md' } });
    const run = await weft.createRun(plan, { agent: 'simulate', concurrency: 6, maxAttempts: 2 });
    const events = new EngineEvents();
    const t = track(events);
    const outcome = await weft.executeRun(run.id, { events });
    const status = await loadRunStatus(weft.store, run.id);
    const byId = new Map(status.tasks.map((x) => [x.id, x]));
    const retried = status.tasks.filter((x) => x.attempts.length > 1);
    assert.ok(retried.length > 10, 'failed attempts were retried');
    assert.ok(status.tasks.every((x) => x.attempts.length <= 2), 'max attempts respected');
    for (const task of status.tasks) {
      if (task.status === 'blocked') assert.equal(task.attempts.length, 0, `${task.id} ran although blocked`);
      if (t.started.has(task.id)) for (const dep of task.dependsOn) assert.equal(byId.get(dep)!.status, 'succeeded', `${task.id} ran after ${dep} failed`);
    }
    const failed = status.tasks.filter((x) => x.status === 'failed');
    assert.ok(failed.length > 0);
    assert.ok(failed.every((x) => x.attempts.length === 2 && x.attempts.every((a) => a.status === 'failed')));
    assert.equal(outcome.run.status, 'failed');
    assert.equal(status.run.status, 'failed');
    await weft.close();
  });

  test('auth failures are not retried and say why', async () => {
    const backend: AgentBackend = {
      name: 'broken',
      needsWorktree: false,
      run: async (req) => {
        if (req.task.id === 'A') throw new AgentError('auth', 'token rejected (401): set CODEGEN_API_KEY');
        return { summary: 'ok' };
      },
    };
    const weft = await makeWeft(() => backend);
    const plan = buildPlan({ requirements: { text: DOC, file: 'R.md' } });
    const run = await weft.createRun(plan, { agent: 'broken', concurrency: 2, maxAttempts: 5 });
    await weft.executeRun(run.id);
    const status = await loadRunStatus(weft.store, run.id);
    const a = status.tasks.find((x) => x.id === 'A')!;
    assert.equal(a.status, 'failed');
    assert.equal(a.attempts.length, 1);
    assert.match(a.error ?? '', /token rejected/);
    assert.deepEqual(status.tasks.filter((x) => x.status === 'blocked').map((x) => x.id).sort(), ['B', 'C', 'D', 'F']);
    assert.equal(status.tasks.find((x) => x.id === 'E')!.status, 'succeeded');
    await weft.close();
  });

  test('the circuit breaker pauses a failing backend instead of burning attempts', async () => {
    let calls = 0;
    const backend: AgentBackend = {
      name: 'flaky',
      needsWorktree: false,
      run: async () => {
        calls++;
        if (calls <= 3) throw new AgentError('server', 'HTTP 503');
        return { summary: 'ok' };
      },
    };
    const weft = await makeWeft(() => backend, (c) => (c.circuitBreaker = { consecutiveFailures: 2, halfOpenAfterMs: 100 }));
    const plan = buildPlan({ requirements: { text: DOC, file: 'R.md' } });
    const run = await weft.createRun(plan, { agent: 'flaky', concurrency: 1, maxAttempts: 5 });
    const events = new EngineEvents();
    let paused = 0;
    events.on('backend.paused', () => paused++);
    const outcome = await weft.executeRun(run.id, { events });
    assert.ok(paused >= 1, 'backend.paused was emitted');
    assert.equal(outcome.run.status, 'succeeded');
    await weft.close();
  });

  test('cancelling a run stops running attempts and cancels the rest', async () => {
    const backend: AgentBackend = {
      name: 'slow',
      needsWorktree: false,
      run: async (req) => {
        await sleep(10_000, req.signal);
        return {};
      },
    };
    const weft = await makeWeft(() => backend);
    const plan = buildPlan({ requirements: { text: DOC, file: 'R.md' } });
    const run = await weft.createRun(plan, { agent: 'slow', concurrency: 2 });
    const events = new EngineEvents();
    events.once('task.started', () => void weft.store.requestCancel(run.id, undefined, Date.now()));
    // Heartbeats carry the cancellation; a short interval keeps the test quick. An attempt that ran its
    // 10 s to the end would have succeeded, so "cancelled" shows the heartbeat stopped it.
    const outcome = await weft.executeRun(run.id, { events, heartbeatMs: 50 });
    assert.equal(outcome.run.status, 'cancelled');
    const status = await loadRunStatus(weft.store, run.id);
    assert.ok(status.tasks.every((x) => ['cancelled', 'blocked'].includes(x.status)), JSON.stringify(status.tasks.map((x) => x.status)));
    await weft.close();
  });

  test('a run killed with SIGKILL resumes and every task succeeds exactly once', { timeout: 90_000 }, async () => {
    const dir = tempDir();
    const doc = join(dir, 'REQUIREMENTS.md');
    writeFileSync(doc, generateRequirements({ tasks: 300, itemsPerRequirement: 3, seed: 5 }));
    const db = join(dir, 'k.db');
    const cli = (args: string[]) =>
      spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../src/cli/main.ts'), ...args], {
        cwd: join(import.meta.dirname, '..'),
        env: { ...process.env, WEFT_SIM_SCALE: '6' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const first = cli(['run', doc, '--agent', 'simulate', '--concurrency', '16', '--db', db, '--quiet']);
    const store = openSqliteStore(db);
    // Kill once a good part of the work is done and attempts are in flight.
    for (let i = 0; i < 400; i++) {
      await sleep(100);
      const run = await store.latestRun().catch(() => undefined);
      if (!run) continue;
      const tasks = await store.listTasks(run.id);
      if (tasks.filter((x) => x.status === 'succeeded').length > 60 && tasks.some((x) => x.status === 'running')) break;
    }
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const run = (await store.latestRun())!;
    const before = await store.listTasks(run.id);
    assert.ok(before.some((x) => x.status === 'running'), 'killed mid-run');
    await store.close();

    const resumed = cli(['resume', '--db', db, '--quiet']);
    const code = await new Promise((r) => resumed.once('exit', r));
    assert.equal(code, 0);
    const store2 = openSqliteStore(db);
    const status = await loadRunStatus(store2, run.id);
    await store2.close();
    assert.equal(status.run.status, 'succeeded');
    for (const task of status.tasks) {
      if (task.status === 'done') continue;
      assert.equal(task.status, 'succeeded');
      assert.equal(task.attempts.filter((a) => a.status === 'succeeded').length, 1, `${task.id} succeeded more than once`);
    }
    assert.ok(status.tasks.some((x) => x.attempts.some((a) => a.status === 'interrupted')), 'cut-short attempts are recorded as interrupted');
  });
});
