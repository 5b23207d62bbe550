/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core (never a downloaded
 * browser). Draws a run's graph with status colours and the critical path, follows a run live over
 * SSE, opens a task's detail, and saves screenshots to a temp dir.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

const AXE = readFileSync(join('node_modules', 'axe-core', 'axe.min.js'), 'utf8');

/** axe-core's violations of impact serious or critical on the current page. */
async function axeProblems(page: Page): Promise<string[]> {
  // Through the devtools protocol: the page's CSP (rightly) refuses inline scripts.
  await page.evaluate(AXE);
  const found = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: () => Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const r = await axe.run();
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${JSON.stringify(v.nodes.slice(0, 3).map((n) => n.target))}`);
  });
  return found;
}

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

    // Honest figures, as the API counts them: E failed and blocks F.
    const progress = (await (await fetch(`${base}/api/v1/runs/${runId}/progress`)).json()) as { figures: { counts: Record<string, number> } };
    for (const k of ['succeeded', 'failed', 'blocked', 'cancelled', 'running', 'pending']) {
      const card = await page.textContent(`[data-figure="${k}"] b`);
      assert.equal(Number(card?.replace(/\D/g, '')), progress.figures.counts[k], `${k} card`);
    }
    assert.equal(await page.textContent('[data-testid="success-rate"]'), '83.33%');
    assert.match((await page.textContent('[data-testid="problems"]')) ?? '', /E\s*blocks 1 task · needs a human \(validation\)/);

    // A task has its own URL; its latest attempt shows its log.
    await page.click('[data-task-id="E"]');
    await page.waitForFunction(() => (globalThis as unknown as { location: Location }).location.hash.endsWith('/tasks/E'));
    await page.waitForSelector('[data-testid="task-panel"] >> text=the payment provider rejected the key');
    const panel = await page.textContent('[data-testid="task-panel"]');
    assert.match(panel ?? '', /Payments/);
    assert.match(panel ?? '', /validation/);
    await page.waitForSelector('[data-testid="attempt-log"]');
    await page.screenshot({ path: join(SHOTS, 'run-finished.png') });
    assert.deepEqual(await axeProblems(page), [], 'axe on the run page');

    // The table finds tasks by id and by title; rows link to the task.
    await page.click('button[role="tab"]:has-text("Tasks")');
    await page.fill('[data-testid="task-search"]', 'receipts');
    await page.waitForSelector('[data-task-row="F"]');
    assert.equal(await page.locator('[data-task-row]').count(), 1);
    await page.fill('[data-testid="task-search"]', 'D');
    await page.waitForSelector('[data-task-row="D"]');
    assert.ok(!(await page.locator('[data-task-row="A"]').count()));
    await page.selectOption('.filters label:has-text("Status") select', 'blocked');
    await page.fill('[data-testid="task-search"]', '');
    await page.waitForSelector('[data-task-row="F"]');
    assert.equal(await page.locator('[data-task-row]').count(), 1);
    assert.deepEqual(await axeProblems(page), [], 'axe on the task table');
    await page.click('[data-task-row="F"] a');
    await page.waitForFunction(() => (globalThis as unknown as { location: Location }).location.hash.endsWith('/tasks/F'));
    await page.waitForSelector('[data-testid="task-panel"] >> text=Receipts');
    await page.click('button[role="tab"]:has-text("Timeline")');
    await page.waitForSelector('[data-testid="timeline"]');
    await page.click('button[role="tab"]:has-text("Graph")');

    // Operators get the retry button; it starts a new run of what did not succeed.
    await page.click('button:has-text("Retry failed")');
    await page.waitForFunction((old) => !(globalThis as unknown as { location: Location }).location.hash.includes(old), runId);
    await page.waitForSelector('[data-testid="run-graph"] [data-task-id="A"][data-status="done"]', { state: 'attached' });
  });

  test('cancel asks first', async () => {
    const res = await fetch(`${base}/api/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ requirements: DOC, start: false }) });
    const runId = ((await res.json()) as { run: { id: string } }).run.id;
    await page.goto(`${base}/#/runs/${runId}`);
    await page.click('button:has-text("Cancel run")');
    await page.click('dialog button:has-text("Keep running")');
    assert.equal(await page.textContent('[data-testid="run-status"]'), 'pending');
    await page.click('button:has-text("Cancel run")');
    await page.click('dialog button:has-text("Cancel the run")');
    await page.waitForSelector('[data-testid="run-status"]:text("cancelled")', { timeout: 2000 });
    await page.waitForSelector('[data-figure="cancelled"] >> text=7');
  });

  test('a git run: each attempt shows its prompt, log, verify output and diff', { timeout: 60_000 }, async () => {
    const repo = join(dir, 'repo');
    mkdirSync(repo);
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 't@example.com');
    git('config', 'user.name', 'T');
    writeFileSync(join(repo, 'README.md'), '# repo\n');
    git('add', '-A');
    git('commit', '-q', '-m', 'init');
    const agent = join(dir, 'writer.mjs');
    writeFileSync(agent, "import { writeFileSync } from 'node:fs'; writeFileSync('hello.txt', 'hello from the agent\\n'); console.log('wrote hello.txt');\n");
    const weftForGit = new Weft(defaultConfig(), store, dir, defaultAgentFactory);
    const run = await weftForGit.createRun(
      (await import('../src/plan/build-plan.js')).buildPlan({ requirements: { text: '# Hello\n\n## Greet: Write a greeting\nSay hello in hello.txt.\n', file: 'R.md' } }),
      { agent: `node ${agent}`, repo, verify: 'node -e "console.log(\'verify: 3 passing\')"' },
    );
    await weftForGit.executeRun(run.id);
    const status = (await (await fetch(`${base}/api/v1/runs/${run.id}`)).json()) as { run: { status: string }; tasks: { id: string; error: string | null }[] };
    assert.equal(status.run.status, 'succeeded', JSON.stringify(status.tasks.map((t) => t.error)));
    const taskId = status.tasks[0]!.id;
    await page.goto(`${base}/#/runs/${run.id}/tasks/${taskId}`);
    await page.waitForSelector('[data-testid="attempt-log"] >> text=wrote hello.txt');
    await page.click('[data-testid="attempt"] button:has-text("Prompt")');
    await page.waitForSelector('[data-testid="attempt-prompt"] >> text=Say hello in hello.txt');
    await page.click('[data-testid="attempt"] button:has-text("Verify output")');
    await page.waitForSelector('[data-testid="attempt-verify"]');
    await page.click('[data-testid="attempt"] button:has-text("Files & diff")');
    await page.waitForSelector('[data-testid="attempt-files"] >> text=hello.txt');
    await page.waitForSelector('[data-testid="attempt-diff"] >> text=+hello from the agent');
    await page.screenshot({ path: join(SHOTS, 'attempt-diff.png') });
    assert.deepEqual(await axeProblems(page), [], 'axe on the attempt view');
  });

  test('metrics page: figures apart, Prometheus text through the session', async () => {
    await page.goto(`${base}/#/metrics`);
    await page.waitForSelector('[data-testid="metrics"] >> text=success rate');
    const text = await page.textContent('[data-testid="metrics"]');
    assert.match(text ?? '', /tasks processed/);
    assert.match(text ?? '', /blocked/);
    await page.click('[data-testid="show-prometheus"]');
    await page.waitForSelector('[data-testid="prometheus"] >> text=# HELP');
    await page.screenshot({ path: join(SHOTS, 'metrics.png') });
    assert.deepEqual(await axeProblems(page), [], 'axe on the metrics page');
    await page.goto(`${base}/#/`);
    await page.waitForSelector('[data-testid="runs-table"]');
    assert.deepEqual(await axeProblems(page), [], 'axe on the runs list');
  });

  test('phone-sized and dark', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    try {
      const runs = (await (await fetch(`${base}/api/v1/runs`)).json()) as { runs: { id: string }[] };
      await phone.goto(`${base}/#/runs/${runs.runs.at(-1)!.id}/tasks/E`);
      await phone.waitForSelector('[data-testid="task-panel"]');
      await phone.waitForSelector('[data-testid="run-graph"]', { state: 'attached' });
      // The graph keeps its width with the task open: the panel goes below it.
      const graphBox = await phone.locator('.graph').boundingBox();
      assert.ok(graphBox && graphBox.width > 300, `graph width ${graphBox?.width}`);
      assert.equal(await phone.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth), 390, 'no sideways scrolling');
      await phone.screenshot({ path: join(SHOTS, 'phone-dark.png'), fullPage: true });
      assert.deepEqual(await axeProblems(phone), [], 'axe, dark, on a phone');
    } finally {
      await phone.close();
    }
  });
});
