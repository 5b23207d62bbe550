/** Honest figures, the ETA and the terminal progress view: what a user reads about a run's progress. */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { AgentError } from '../src/agents/agent-backend.js';
import { defaultConfig } from '../src/config/config-schema.js';
import { createSimulateAgent } from '../src/engine/simulate-agent.js';
import { buildServer } from '../src/server/build-server.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import { defaultAgentFactory, Weft } from '../src/weft.js';
import { estimateEta } from '../src/core/estimate-eta.js';
import { computeFigures, type FigureTask } from '../src/core/run-figures.js';
import { EngineEvents } from '../src/engine/events.js';
import { attachProgressView } from '../src/engine/progress-view.js';
import { formatDuration, problemsFirst } from '../src/engine/run-report.js';

const t = (id: string, status: FigureTask['status'], dependsOn: string[] = [], startedAt: number | null = null, finishedAt: number | null = null): FigureTask => ({ id, status, dependsOn, startedAt, finishedAt });

describe('run figures', () => {
  test('counts outcomes apart; success rate over the tasks that ran; failures with what they block', () => {
    // A fails and blocks B, C (chain) and D; E succeeded; F cancelled; G done by the document.
    const tasks = [
      t('A', 'failed', [], 0, 1000),
      t('B', 'blocked', ['A']),
      t('C', 'blocked', ['B']),
      t('D', 'blocked', ['A', 'E']),
      t('E', 'succeeded', [], 0, 2000),
      t('F', 'cancelled'),
      t('G', 'done'),
      t('H', 'pending', ['F']),
    ];
    const f = computeFigures(tasks, 10_000);
    assert.deepEqual(f.counts, { succeeded: 1, failed: 1, blocked: 3, cancelled: 1, running: 0, pending: 1, done: 1 });
    assert.equal(f.open, 7);
    assert.equal(f.ran, 2);
    assert.equal(f.successRate, 50);
    assert.deepEqual(f.failures, [
      { id: 'A', status: 'failed', blocks: 3 },
      { id: 'F', status: 'cancelled', blocks: 1 },
    ]);
  });

  test('throughput counts only tasks that ran, over the time they were running', () => {
    // Two bursts of work an hour apart: 4 tasks in 2 × 30 min of activity is 4 per hour, not 4 per 90 min.
    const min = 60_000;
    const tasks = [
      t('A', 'succeeded', [], 0, 30 * min),
      t('B', 'succeeded', [], 10 * min, 30 * min),
      t('C', 'succeeded', [], 60 * min, 90 * min),
      t('D', 'failed', [], 60 * min, 70 * min),
      ...Array.from({ length: 50 }, (_, i) => t(`done${i}`, 'done')),
    ];
    const f = computeFigures(tasks, 100 * min);
    assert.equal(f.activeMs, 60 * min);
    assert.equal(f.throughputPerHour, 4);
    // A cancelled run of 8 tasks is not "8/8 · 100%".
    const cancelled = computeFigures([t('A', 'succeeded', [], 0, 5000), ...Array.from({ length: 7 }, (_, i) => t(`x${i}`, 'cancelled'))]);
    assert.equal(cancelled.counts.cancelled, 7);
    assert.equal(cancelled.ran, 1);
  });
});

describe('ETA', () => {
  test('the remaining DAG with the concurrency, at the observed pace', () => {
    // Observed: 10 estimate-minutes took 1 s, so a minute is 100 ms. Left: X (10) then Y (20) in a chain, Z (10) alone.
    const samples = [{ estimateMinutes: 10, durationMs: 1000 }];
    const tasks = [
      { id: 'A', status: 'succeeded' as const, dependsOn: [], estimateMinutes: 10 },
      { id: 'X', status: 'pending' as const, dependsOn: ['A'], estimateMinutes: 10 },
      { id: 'Y', status: 'pending' as const, dependsOn: ['X'], estimateMinutes: 20 },
      { id: 'Z', status: 'ready' as const, dependsOn: [], estimateMinutes: 10 },
    ];
    const two = estimateEta(tasks, { concurrency: 2, samples, now: 0 });
    assert.equal(two.basis, 'observed');
    assert.equal(two.remainingMs, 3000);
    assert.equal(estimateEta(tasks, { concurrency: 1, samples, now: 0 }).remainingMs, 4000);
    // Without observations the plan's minutes are taken as they are.
    const fresh = estimateEta(tasks, { concurrency: 2, samples: [], now: 0 });
    assert.equal(fresh.basis, 'estimates');
    assert.equal(fresh.remainingMs, 30 * 60_000);
    // A running task counts what is left of it; nothing left means done.
    const running = estimateEta([{ id: 'R', status: 'running', dependsOn: [], estimateMinutes: 10, runningSince: 0 }], { concurrency: 1, samples, now: 400 });
    assert.equal(running.remainingMs, 600);
    assert.equal(estimateEta([tasks[0]!], { concurrency: 1, samples, now: 0 }).basis, 'done');
  });
});

describe('terminal', () => {
  test('durations read 2m46s, not whole minutes', () => {
    assert.equal(formatDuration(166_000), '2m46s');
    assert.equal(formatDuration(12_300), '12.3s');
    assert.equal(formatDuration(3_900_000), '1h05m');
  });

  test('reports and status list what failed for good first, then what was retried', () => {
    const tasks = [
      { id: 'a', status: 'succeeded', attempts: [1] },
      { id: 'b', status: 'succeeded', attempts: [1, 2] },
      { id: 'c', status: 'blocked', attempts: [] },
      { id: 'd', status: 'failed', attempts: [1, 2, 3] },
    ];
    assert.deepEqual(problemsFirst(tasks).map((x) => x.id), ['d', 'b', 'a', 'c']);
  });

  function capture() {
    const stream = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
    let text = '';
    stream.on('data', (c: Buffer) => (text += c.toString()));
    return { stream, text: () => text };
  }

  test('a resumed run starts with its counts right and shows an ETA', () => {
    const out = capture();
    const events = new EngineEvents();
    const tasks = Array.from({ length: 12 }, (_, i) => ({ id: `T${i}`, status: (i < 9 ? 'succeeded' : 'pending') as 'succeeded' | 'pending', dependsOn: [], estimateMinutes: 10 }));
    const view = attachProgressView(events, 12, { stream: out.stream, live: true, color: false, tasks, concurrency: 2, samples: [{ estimateMinutes: 10, durationMs: 60_000 }] });
    view();
    assert.match(out.text(), /9\/12 · 9 succeeded · 0 running · 3 pending · \d+ms · ETA 2m00s/);
  });

  test('the Ctrl-C hint stays visible after the live view redraws and stops', () => {
    const out = capture();
    const events = new EngineEvents();
    const view = attachProgressView(events, 3, { stream: out.stream, live: true, color: false });
    view.note('weft: stopping; running attempts are interrupted (resume with `weft resume`)');
    events.emit('task.started', { runId: 'r', taskId: 'A', title: 'Alpha', attempt: 1, agent: 'simulate' });
    view();
    // Replay the terminal: each "\x1b[NA\x1b[0J" erases the last N lines.
    const lines: string[] = [];
    const ESC = String.fromCharCode(27);
    for (const part of out.text().split(new RegExp(`(${ESC}\\[\\d+A${ESC}\\[0J)`))) {
      const erase = new RegExp(`^${ESC}\\[(\\d+)A`).exec(part);
      if (erase) lines.splice(lines.length - Number(erase[1]));
      else lines.push(...part.split('\n').slice(0, -1));
    }
    assert.ok(lines.some((l) => l.includes('resume with `weft resume`')), lines.join('\n'));
  });

  test('large runs print failures as they happen, not every success', () => {
    const out = capture();
    const events = new EngineEvents();
    const tasks = Array.from({ length: 500 }, (_, i) => ({ id: `T${i}`, status: 'pending' as const, dependsOn: [], estimateMinutes: 10 }));
    const view = attachProgressView(events, 500, { stream: out.stream, live: false, tasks, concurrency: 4 });
    for (let i = 0; i < 40; i++) {
      events.emit('task.started', { runId: 'r', taskId: `T${i}`, title: `Task ${i}`, attempt: 1, agent: 'simulate' });
      events.emit('task.succeeded', { runId: 'r', taskId: `T${i}`, attempt: 1, durationMs: 5, prUrl: null });
    }
    events.emit('task.failed', { runId: 'r', taskId: 'T41', attempt: 3, category: 'agent', message: 'tests failed\nmore' });
    view();
    assert.doesNotMatch(out.text(), /✔/);
    assert.match(out.text(), /T41 failed for good after 3 attempts \(agent\): tests failed/);
  });
});

describe('API', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-figures-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('GET /api/v1/runs/:id and /api/v1/stats count blocked tasks apart and say what each failure blocks', async () => {
    const store = openSqliteStore(join(dir, 'weft.db'));
    await store.migrate();
    const config = defaultConfig();
    config.agents.broken = { command: ['false'] };
    const weft = new Weft(config, store, dir, (spec, cfg) => {
      if (spec === 'simulate') return createSimulateAgent({ scale: 1, failRate: 0, seed: 1 });
      if (spec === 'broken') return { name: 'broken', needsWorktree: false, run: () => Promise.reject(new AgentError('validation', 'no')) };
      return defaultAgentFactory(spec, cfg);
    });
    const app = await buildServer({ weft, validateResponses: true, tokens: [], heartbeatMs: 50 });
    try {
      const doc = '# P\n\n## A: Base\nAgent: broken\n\n## B: Next\nDepends on: A\n\n## C: Last\nDepends on: B\n\n## D: Alone\n';
      const created = await app.inject({ method: 'POST', url: '/api/v1/runs', payload: { requirements: doc, maxAttempts: 1, start: false } });
      const runId = created.json<{ run: { id: string } }>().run.id;
      const before = created.json<{ eta: { basis: string; openTasks: number } }>();
      assert.equal(before.eta.openTasks, 4);
      assert.equal(before.eta.basis, 'estimates');
      await weft.executeRun(runId);
      const res = await app.inject({ method: 'GET', url: `/api/v1/runs/${runId}` });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json<{ figures: ReturnType<typeof computeFigures>; eta: { basis: string } }>();
      assert.deepEqual(body.figures.counts, { succeeded: 1, failed: 1, blocked: 2, cancelled: 0, running: 0, pending: 0, done: 0 });
      assert.equal(body.figures.successRate, 50);
      assert.deepEqual(body.figures.failures, [{ id: 'A', status: 'failed', blocks: 2 }]);
      assert.equal(body.eta.basis, 'done');
      const stats = (await app.inject({ method: 'GET', url: '/api/v1/stats' })).json<{ blocked: number; tasksProcessed: number; successRate: number }>();
      assert.equal(stats.blocked, 2);
      assert.equal(stats.tasksProcessed, 2);
      assert.equal(stats.successRate, 50);
    } finally {
      await app.close();
      await store.close();
    }
  });
});
