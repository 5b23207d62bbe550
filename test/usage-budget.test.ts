/** Usage per attempt, task and run; the run budget (--max-cost); backends paused by usage limits. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { AgentError, type AgentBackend } from '../src/agents/agent-backend.js';
import { defaultConfig } from '../src/config/config-schema.js';
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
  return new Weft(config, store, dir, factory);
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
