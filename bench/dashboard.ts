/**
 * Dashboard benchmark in Debian's chromium (playwright-core): runs of 1,500 and 10,000 tasks made
 * with the simulate agent (finished, with failures that block others, and one live), `weft serve`'s
 * server in this process, and per run: time to first graph (navigation to the first canvas frame,
 * warm server), a zoom and a pan (time to the next frame), search in the task table, and for the
 * live run how long a cancel takes to show. Aims: first graph < 1 s at 1,500 and < 3 s at 10,000,
 * interactions < 100 ms. `WEFT_BENCH_SHOTS=DIR` keeps screenshots (1400×900 and 390×844).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { AgentError } from '../src/agents/agent-backend.js';
import { defaultConfig } from '../src/config/config-schema.js';
import { createSimulateAgent } from '../src/engine/simulate-agent.js';
import { buildPlan } from '../src/plan/build-plan.js';
import { buildServer } from '../src/server/build-server.js';
import { DASHBOARD_DIR } from '../src/server/routes/dashboard.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import { defaultAgentFactory, Weft } from '../src/weft.js';
import { generateRequirements } from './lib/generate-requirements.js';

/** The slices of the browser's globals the page functions use (this file is type-checked without the DOM lib). */
declare const document: { querySelector(s: string): { getAttribute(n: string): string | null } | null };
declare const localStorage: { setItem(k: string, v: string): void };

const CHROMIUM = process.env.WEFT_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = process.env.WEFT_BENCH_SHOTS;
const SIZES = (process.env.WEFT_BENCH_SIZES ?? '1500,10000').split(',').map(Number);

if (!existsSync(CHROMIUM) || !existsSync(join(DASHBOARD_DIR, 'index.html'))) {
  process.stdout.write(`skipped: needs ${CHROMIUM} and a built dashboard (npm run build)\n`);
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'weft-bench-dashboard-'));
const store = openSqliteStore(join(dir, 'weft.db'));
await store.migrate();
const config = defaultConfig();
config.retry = { baseMs: 5, maxMs: 10, multiplier: 2 };
config.agents.slow = { command: ['false'] };
const weft = new Weft(config, store, dir, (spec, cfg) => {
  // Fast: finished runs in seconds; 1% of attempts fail (a second attempt usually succeeds), and one
  // requirement in 60 always fails, blocking what depends on it.
  if (spec === 'simulate') {
    const sim = createSimulateAgent({ scale: 0, failRate: 0.01, seed: 3 });
    return { ...sim, run: (req) => (/^R\d*0\./.test(req.task.id) && Number(req.task.requirementId.slice(1)) % 60 === 30 ? Promise.reject(new AgentError('validation', 'the schema check rejected the change')) : sim.run(req)) };
  }
  if (spec === 'slow') return createSimulateAgent({ scale: 30, failRate: 0, seed: 1 });
  return defaultAgentFactory(spec, cfg);
});

async function makeRun(tasks: number, agent: string, wait: boolean): Promise<string> {
  const text = generateRequirements({ tasks, itemsPerRequirement: tasks >= 5000 ? 8 : 5, seed: 7 });
  const plan = buildPlan({ requirements: { text, file: 'REQUIREMENTS.md' } });
  const run = await weft.createRun(plan, { agent, concurrency: agent === 'slow' ? 24 : 64, maxAttempts: 2 });
  const done = weft.executeRun(run.id);
  if (wait) await done;
  else void done.catch(() => undefined);
  return run.id;
}

const t0 = Date.now();
const runs: { size: number; finished: string; live: string }[] = [];
for (const size of SIZES) runs.push({ size, finished: await makeRun(size, 'simulate', true), live: await makeRun(size, 'slow', false) });
process.stdout.write(`runs made in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

const app = await buildServer({ weft, tokens: [], heartbeatMs: 500 });
await app.listen({ host: '127.0.0.1', port: 0 });
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
const rows: string[] = [];
const report = (what: string, ms: number, aim: number) => {
  rows.push(`${what.padEnd(44)} ${ms.toFixed(0).padStart(6)} ms   aim < ${aim} ms ${ms < aim ? 'ok' : 'MISSED'}`);
  process.stdout.write(rows.at(-1) + '\n');
};

const frames = (page: Page) => page.$eval('[data-testid="run-graph-canvas"]', (el) => Number(el.getAttribute('data-drawn') ?? 0));
async function nextFrame(page: Page, before: number): Promise<void> {
  await page.waitForFunction((b) => Number(document.querySelector('[data-testid="run-graph-canvas"]')?.getAttribute('data-drawn') ?? 0) > b, before, { polling: 'raf' });
}

try {
  for (const { size, finished, live } of runs) {
    for (const [label, runId] of [['finished', finished], ['live', live]] as const) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      page.on('pageerror', (e) => process.stdout.write(`page error: ${e.message}\n`));
      page.on('console', (m) => m.type() === 'error' && process.stdout.write(`console: ${m.text()}\n`));
      await page.goto(`${base}/#/`);
      await page.evaluate(() => localStorage.setItem('weft.tab', 'graph'));
      // Warm the server (its plan cache) as a user who opened the run before would have.
      await fetch(`${base}/api/v1/runs/${runId}/graph`);
      const start = Date.now();
      await page.goto(`${base}/#/runs/${runId}`);
      await page.waitForSelector('[data-testid="run-graph-canvas"][data-drawn]', { state: 'attached', timeout: 30_000 }).catch(async (e: unknown) => {
        if (SHOTS) await page.screenshot({ path: join(SHOTS, 'failed.png') });
        throw e;
      });
      report(`${size} tasks, ${label}: first graph`, Date.now() - start, size > 2000 ? 3000 : 1000);
      const box = (await page.locator('.graph').boundingBox())!;
      let f = await frames(page);
      let t = Date.now();
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.wheel(0, -600);
      await nextFrame(page, f);
      report(`${size} tasks, ${label}: zoom at the cursor`, Date.now() - t, 100);
      f = await frames(page);
      t = Date.now();
      await page.mouse.down();
      await page.mouse.move(box.x + box.width / 2 - 200, box.y + box.height / 2 - 100, { steps: 2 });
      await page.mouse.up();
      await nextFrame(page, f);
      report(`${size} tasks, ${label}: pan`, Date.now() - t, 100);
      if (SHOTS) {
        mkdirSync(SHOTS, { recursive: true });
        await page.screenshot({ path: join(SHOTS, `${size}-${label}-zoomed.png`) });
        await page.keyboard.press('0');
        await page.click('.graph');
        await page.keyboard.press('0');
        await page.waitForTimeout(300);
        await page.screenshot({ path: join(SHOTS, `${size}-${label}-fit.png`) });
      }
      await page.click('button[role="tab"]:has-text("Tasks")');
      await page.waitForSelector('[data-testid="task-search"]');
      const target = `R${Math.floor(size / 10)}.2`;
      t = Date.now();
      await page.fill('[data-testid="task-search"]', target);
      await page.waitForSelector(`[data-task-row="${target}"]`);
      report(`${size} tasks, ${label}: search by id`, Date.now() - t, 100);
      if (SHOTS) await page.screenshot({ path: join(SHOTS, `${size}-${label}-table.png`) });
      if (label === 'live') {
        await page.click('button:has-text("Cancel run")');
        t = Date.now();
        await page.click('dialog button:has-text("Cancel the run")');
        await page.waitForSelector('[data-testid="run-status"]:text("cancelled")', { timeout: 60_000 });
        report(`${size} tasks, live: cancel shown`, Date.now() - t, 2000);
      }
      if (SHOTS) {
        await page.setViewportSize({ width: 390, height: 844 });
        await page.click('button[role="tab"]:has-text("Graph")');
        await page.waitForTimeout(500);
        await page.screenshot({ path: join(SHOTS, `${size}-${label}-phone.png`), fullPage: true });
      }
      await page.evaluate(() => localStorage.setItem('weft.tab', 'graph'));
      await page.close();
    }
  }
} finally {
  await browser.close();
  await app.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`\n${rows.join('\n')}\n`);
