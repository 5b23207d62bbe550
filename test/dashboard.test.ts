/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core (never a downloaded
 * browser). Draws a run's graph with status colours and the critical path, follows a run live over
 * SSE, opens a task's detail, and saves screenshots to a temp dir.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';

/** The slice of the browser's `location` the test reads. */
interface Location {
  hash: string;
}
import { AgentError } from '../src/agents/agent-backend.js';
import { defaultConfig } from '../src/config/config-schema.js';
import { createSimulateAgent } from '../src/engine/simulate-agent.js';
import { DASHBOARD_DIR } from '../src/server/routes/dashboard.js';
import { buildServer } from '../src/server/build-server.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { defaultAgentFactory, Weft } from '../src/weft.js';

const CHROMIUM = process.env.WEFT_CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to run the browser test`;

const DOC = `# Shop

An online shop.

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

## E: Payments
Agent: broken
Depends on: B
Estimate: 10m

## F: Receipts
Depends on: E
Estimate: 10m

## G: Docs
Estimate: 10m
`;

const SHOTS = mkdtempSync(join(tmpdir(), 'weft-dashboard-shots-'));

describe('dashboard in chromium', { skip }, () => {
  let dir: string;
  let store: Store;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let page: Page;

  before(async () => {
    if (!existsSync(join(DASHBOARD_DIR, 'index.html'))) {
      // `npm run build` (and `npm ci`) builds it; build it here for a bare checkout.
      const built = spawnSync(join('node_modules', '.bin', 'vite'), ['build', 'web', '--logLevel', 'warn'], { stdio: 'inherit' });
      assert.equal(built.status, 0, 'vite build web');
    }
    dir = mkdtempSync(join(tmpdir(), 'weft-dashboard-'));
    store = openSqliteStore(join(dir, 'weft.db'));
    await store.migrate();
    const config = defaultConfig();
    config.agents.broken = { command: ['false'] };
    config.retry = { baseMs: 5, maxMs: 10, multiplier: 2 };
    const weft = new Weft(config, store, dir, (spec, cfg) => {
      if (spec === 'simulate') return createSimulateAgent({ scale: 25, failRate: 0, seed: 1 });
      if (spec === 'broken') return { name: 'broken', needsWorktree: false, run: () => Promise.reject(new AgentError('validation', 'the payment provider rejected the key')) };
      return defaultAgentFactory(spec, cfg);
    });
    app = await buildServer({ weft, validateResponses: true, tokens: [], heartbeatMs: 50, eventPollMs: 100 });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (err) => assert.fail(`page error: ${err.message}`));
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    console.log(`# screenshots in ${SHOTS}`);
  });

  async function startRun(): Promise<string> {
    const res = await fetch(`${base}/api/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ requirements: DOC, maxAttempts: 1, concurrency: 2 }) });
    assert.equal(res.status, 201);
    return ((await res.json()) as { run: { id: string } }).run.id;
  }

  const statusOf = (id: string) => page.getAttribute(`[data-testid="run-graph"] [data-task-id="${id}"]`, 'data-status');

  test('draws a run live: graph, status colours, critical path, task detail', async () => {
    await page.goto(`${base}/`);
    await page.waitForSelector('text=No runs yet');
    const runId = await startRun();
    // The runs list picks the new run up from the live events.
    await page.waitForSelector(`[data-run-id="${runId}"]`, { timeout: 10_000 });
    await page.click(`[data-run-id="${runId}"] a`);
    await page.waitForSelector('[data-testid="run-graph"] [data-task-id="A"]', { state: 'attached' });
    assert.equal(await page.locator('[data-testid="run-graph"] [data-task-id]').count(), 7);

    // Statuses change in place while the run executes (its critical path takes about 3 s).
    const running = await page.waitForSelector('[data-testid="run-graph"] [data-status="running"]', { state: 'attached', timeout: 5000 });
    const live = await running.getAttribute('data-task-id');
    await page.screenshot({ path: join(SHOTS, 'run-live.png') });
    await page.waitForSelector(`[data-task-id="${live}"]:not([data-status="running"])`, { state: 'attached', timeout: 5000 });
    await page.waitForSelector('[data-testid="run-status"]:text("failed")', { timeout: 15_000 });

    assert.equal(await statusOf('A'), 'succeeded');
    assert.equal(await statusOf('E'), 'failed');
    assert.equal(await statusOf('F'), 'blocked');
    assert.equal(await statusOf('D'), 'succeeded');
    // Colours follow the status.
    const fill = (id: string) => page.getAttribute(`[data-task-id="${id}"] rect`, 'fill');
    assert.equal(await fill('A'), '#dafbe1');
    assert.equal(await fill('E'), '#ffebe9');
    assert.equal(await fill('F'), '#fbefff');
    // The critical path A -> C -> D is highlighted, nodes and edges.
    const critical = await page.$$eval('[data-testid="run-graph"] g[data-critical="true"]', (els) => els.map((e) => e.getAttribute('data-task-id')));
    assert.deepEqual(critical.sort(), ['A', 'C', 'D']);
    assert.equal(await page.locator('[data-testid="run-graph"] path.edge[data-critical="true"]').count(), 2);
    // Laid out as a graph: dependents to the right of what they depend on.
    const x = async (id: string) => (await page.locator(`[data-task-id="${id}"]`).boundingBox())!.x;
    assert.ok((await x('A')) < (await x('B')) && (await x('B')) < (await x('D')));

    await page.click('[data-task-id="E"]');
    await page.waitForSelector('[data-testid="task-panel"] >> text=the payment provider rejected the key');
    const panel = await page.textContent('[data-testid="task-panel"]');
    assert.match(panel ?? '', /Payments/);
    assert.match(panel ?? '', /validation/);
    await page.screenshot({ path: join(SHOTS, 'run-finished.png') });

    // Operators get the retry button; it starts a new run of what did not succeed.
    await page.click('button:has-text("Retry failed")');
    await page.waitForFunction((old) => !(globalThis as unknown as { location: Location }).location.hash.includes(old), runId);
    await page.waitForSelector('[data-testid="run-graph"] [data-task-id="A"][data-status="done"]', { state: 'attached' });
  });

  test('metrics page', async () => {
    await page.goto(`${base}/#/metrics`);
    await page.waitForSelector('[data-testid="metrics"] >> text=success rate');
    const text = await page.textContent('[data-testid="metrics"]');
    assert.match(text ?? '', /tasks processed/);
    await page.screenshot({ path: join(SHOTS, 'metrics.png') });
  });
});
