/** Usage per attempt, task and run; the run budget (--max-cost); backends paused by usage limits. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { AgentError, type AgentBackend } from '../src/agents/agent-backend.js';
import { parseMaxCost } from '../src/cli/commands/run.js';
import { defaultConfig } from '../src/config/config-schema.js';
import { InputError } from '../src/core/errors.js';
import { EngineEvents } from '../src/engine/events.js';
import { reportJson, reportMarkdown } from '../src/engine/run-report.js';
import { loadRunStatus } from '../src/engine/run-status.js';
import { buildPlan } from '../src/plan/build-plan.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import { Weft, type AgentFactory } from '../src/weft.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function makeWeft(factory: AgentFactory, tweak: (c: ReturnType<typeof defaultConfig>) => void = () => undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'weft-usage-'));
  dirs.push(dir);
  const store = openSqliteStore(join(dir, 'weft.db'));
  await store.migrate();
  const config = defaultConfig();
  config.retry = { baseMs: 5, maxMs: 20, multiplier: 2 };
  config.circuitBreaker = { consecutiveFailures: 1000, halfOpenAfterMs: 50 };
  tweak(config);
  const weft = new Weft(config, store, dir, factory);
  dbOf.set(weft, join(dir, 'weft.db'));
  return weft;
}

const dbOf = new WeakMap<Weft, string>();

/** Runs the weft CLI on a database. */
function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(import.meta.dirname, '../src/cli/main.ts'), ...args], { env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    p.stdout.on('data', (c) => (out += c));
    p.stderr.on('data', (c) => (err += c));
    p.on('exit', (code) => resolve({ code, out, err }));
  });
}

/** n independent tasks T1..Tn. */
function doc(n: number): string {
  return `# Costly\n\n${Array.from({ length: n }, (_, i) => `## T${i + 1}: Task ${i + 1}\nEstimate: ${10 + i}m\n`).join('\n')}`;
}

describe('usage', () => {
  test('each attempt keeps what its agent reported, failed attempts too; tasks and runs total it', async () => {
    const backend: AgentBackend = {
      name: 'metered',
      needsWorktree: false,
      run: async (req) => {
        if (req.task.id === 'T1' && req.attempt === 1) {
          throw new AgentError('server', 'HTTP 500 from the model', { usage: { inputTokens: 100, outputTokens: 10, costUsd: 0.01, turns: 1, model: 'm-1' } });
        }
        return { summary: 'ok', usage: { inputTokens: 1000, outputTokens: 200, cachedInputTokens: 50, costUsd: 0.25, turns: 3, model: 'm-1', sessionId: `s-${req.task.id}` } };
      },
    };
    const weft = await makeWeft(() => backend);
    const run = await weft.createRun(buildPlan({ requirements: { text: doc(2), file: 'R.md' } }), { agent: 'metered', concurrency: 1, maxAttempts: 3 });
    const outcome = await weft.executeRun(run.id);
    assert.equal(outcome.run.status, 'succeeded');
    const status = await loadRunStatus(weft.store, run.id);
    const t1 = status.tasks.find((t) => t.id === 'T1')!;
    assert.deepEqual(t1.attempts.map((a) => a.usage?.costUsd), [0.01, 0.25]);
    assert.equal(t1.attempts[1]!.usage?.sessionId, 's-T1');
    assert.deepEqual(t1.usage, { attempts: 2, inputTokens: 1100, outputTokens: 210, cachedInputTokens: 50, costUsd: 0.26, turns: 4 });
    assert.deepEqual(status.run.usage, { attempts: 3, inputTokens: 2100, outputTokens: 410, cachedInputTokens: 100, costUsd: 0.51, turns: 7 });
    assert.deepEqual(reportJson(status).totals.usage, status.run.usage);
    const md = reportMarkdown(status);
    assert.match(md, /Usage: \$0\.51 · 2\.1k in \/ 410 out · 7 turns/);
    assert.match(md, /\*\*T1\*\* attempt 1: failed \(server\) — HTTP 500 from the model · \$0\.01/);
    await weft.close();
  });
});

describe('budget', () => {
  test('--max-cost: once spent, no new attempt starts, running ones finish, the run fails with reason budget; resume with more continues', async () => {
    let spent = 0;
    const spentAtStart: number[] = [];
    const backend: AgentBackend = {
      name: 'pricey',
      needsWorktree: false,
      run: async () => {
        spentAtStart.push(spent);
        await new Promise((r) => setTimeout(r, 20));
        spent += 0.4;
        return { summary: 'ok', usage: { costUsd: 0.4, inputTokens: 10, outputTokens: 5 } };
      },
    };
    const weft = await makeWeft(() => backend);
    const run = await weft.createRun(buildPlan({ requirements: { text: doc(6), file: 'R.md' } }), { agent: 'pricey', concurrency: 2, maxCostUsd: 1 });
    const events = new EngineEvents();
    const exhausted: number[] = [];
    events.on('budget.exhausted', (e) => exhausted.push(e.spentUsd));
    const outcome = await weft.executeRun(run.id, { events });
    assert.equal(outcome.run.status, 'failed');
    assert.equal(outcome.run.reason, 'budget');
    assert.ok(spentAtStart.every((s) => s < 1), `an attempt started after the budget was spent: ${spentAtStart.join(', ')}`);
    assert.ok(spentAtStart.length < 6, 'some tasks were never started');
    assert.equal(exhausted.length, 1);
    const status = await loadRunStatus(weft.store, run.id);
    assert.equal(status.run.reason, 'budget');
    assert.equal(status.run.maxCostUsd, 1);
    assert.match(status.run.error ?? '', /budget: the run spent \$1\.\d\d of its \$1\.00 budget/);
    assert.ok(status.tasks.some((t) => t.status === 'ready' && t.attempts.length === 0), 'tasks not started stay ready for a resume');
    assert.match(reportMarkdown(status), /Budget: \$1\.\d\d spent of \$1\.00 — \*\*budget spent/);
    const shown = await cli(['status', run.id, '--db', dbOf.get(weft)!]);
    assert.equal(shown.code, 0, shown.err);
    assert.match(shown.out, /usage: \$1\.\d\d · \d+ in \/ \d+ out · budget \$1\.00/);
    assert.match(shown.out, /budget: the run spent \$1\.\d\d of its \$1\.00 budget/);
    const stats = await cli(['stats', '--db', dbOf.get(weft)!]);
    assert.match(stats.out, /usage: +\$1\.\d\d/);

    // The same budget again: still spent, nothing starts.
    const before = spentAtStart.length;
    const again = await weft.executeRun(run.id, { resumed: true });
    assert.equal(again.run.reason, 'budget');
    assert.equal(spentAtStart.length, before);
    // A higher budget lets the run finish, and is kept with the run.
    const done = await weft.executeRun(run.id, { resumed: true, maxCostUsd: 10 });
    assert.equal(done.run.status, 'succeeded');
    const final = await loadRunStatus(weft.store, run.id);
    assert.equal(final.run.reason, null);
    assert.equal(final.run.error, null);
    assert.equal(final.run.maxCostUsd, 10);
    assert.equal(final.run.usage.costUsd, 2.4);
    await weft.close();
  });

  test('--max-cost takes dollars, with or without $, and refuses anything else', () => {
    assert.equal(parseMaxCost('$1.50'), 1.5);
    assert.equal(parseMaxCost('0'), 0);
    assert.equal(parseMaxCost(undefined), undefined);
    for (const bad of ['abc', '-1', '', '1e999']) assert.throws(() => parseMaxCost(bad), (e: unknown) => e instanceof InputError && /--max-cost must be a number of US dollars/.test(e.message), bad);
  });

  test('config budget.maxCostUsd is the default; a bad --max-cost changes nothing', async () => {
    const weft = await makeWeft(() => ({ name: 'free', needsWorktree: false, run: async () => ({}) }), (c) => (c.budget = { maxCostUsd: 3 }));
    const plan = buildPlan({ requirements: { text: doc(1), file: 'R.md' } });
    const run = await weft.createRun(plan, { agent: 'free' });
    assert.equal((await loadRunStatus(weft.store, run.id)).run.maxCostUsd, 3);
    await assert.rejects(weft.createRun(plan, { agent: 'free', maxCostUsd: -1 }), /--max-cost must be a number of US dollars >= 0/);
    assert.equal((await weft.store.listRuns()).length, 1);
    await weft.close();
  });
});

describe('pauses', () => {
  test('a usage limit with a reset time pauses the backend: no attempt starts until then, waiting tasks use none, status says until when', async () => {
    const calls: { task: string; at: number }[] = [];
    let resetAt = 0;
    const backend: AgentBackend = {
      name: 'limited',
      needsWorktree: false,
      run: async (req) => {
        calls.push({ task: req.task.id, at: Date.now() });
        if (resetAt === 0) {
          resetAt = Date.now() + 1500;
          throw new AgentError('quota', 'Claude AI usage limit reached', { pausedUntil: resetAt });
        }
        return { summary: 'ok' };
      },
    };
    const weft = await makeWeft(() => backend);
    const run = await weft.createRun(buildPlan({ requirements: { text: doc(4), file: 'R.md' } }), { agent: 'limited', concurrency: 2, maxAttempts: 2 });
    const events = new EngineEvents();
    const paused: { until: number; reason: string }[] = [];
    let seen: Awaited<ReturnType<typeof loadRunStatus>>['run']['pausedBackends'] = [];
    events.on('backend.paused', (e) => {
      paused.push({ until: e.untilMs, reason: e.reason });
      setTimeout(() => void loadRunStatus(weft.store, run.id).then((s) => (seen = s.run.pausedBackends)), 200);
    });
    const outcome = await weft.executeRun(run.id, { events });
    assert.equal(outcome.run.status, 'succeeded');
    assert.equal(paused.length, 1);
    assert.equal(paused[0]!.until, resetAt);
    assert.match(paused[0]!.reason, /usage limit/);
    assert.deepEqual(seen.map((p) => [p.backend, p.until]), [['limited', new Date(resetAt).toISOString()]]);
    // Apart from the one running alongside it when the limit hit, nothing started before the reset.
    const during = calls.slice(1).filter((c) => c.at < resetAt);
    assert.ok(during.length <= 1, `attempts started during the pause: ${JSON.stringify(during)}`);
    const status = await loadRunStatus(weft.store, run.id);
    const attempts = status.tasks.reduce((n, t) => n + t.attempts.length, 0);
    assert.equal(attempts, calls.length, 'every attempt reached the agent: none was used up waiting');
    assert.equal(status.tasks.filter((t) => t.attempts.length > 1).length, 1);
    await weft.close();
  });

  test('an open circuit breaker costs no attempts: tasks wait instead of timing out', async () => {
    let calls = 0;
    const backend: AgentBackend = {
      name: 'flaky',
      needsWorktree: false,
      run: async () => {
        calls++;
        if (calls <= 2) throw new AgentError('server', 'HTTP 503');
        return { summary: 'ok' };
      },
    };
    const weft = await makeWeft(() => backend, (c) => (c.circuitBreaker = { consecutiveFailures: 2, halfOpenAfterMs: 1200 }));
    // Attempts time out after 0.6 s, well inside the 1.2 s the breaker stays open.
    const run = await weft.createRun(buildPlan({ requirements: { text: doc(4), file: 'R.md' } }), { agent: 'flaky', concurrency: 2, maxAttempts: 3, timeoutMinutes: 0.01 });
    const events = new EngineEvents();
    let paused = 0;
    events.on('backend.paused', () => paused++);
    const outcome = await weft.executeRun(run.id, { events });
    assert.equal(outcome.run.status, 'succeeded');
    assert.ok(paused >= 1);
    const status = await loadRunStatus(weft.store, run.id);
    const all = status.tasks.flatMap((t) => t.attempts);
    assert.equal(all.length, calls, 'every attempt reached the agent');
    assert.ok(all.every((a) => a.errorCategory !== 'timeout'), JSON.stringify(all));
    await weft.close();
  });
});
