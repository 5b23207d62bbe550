/**
 * Several `weft worker` processes on one host sharing one repository: each has its own integration
 * worktree, worktree bookkeeping is locked across processes, and the integration branch moves by
 * compare-and-swap. With `--max-attempts 1` a single spurious git failure would fail the run.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { openStore } from '../src/store/open-store.js';
import { createTestDatabase } from './helpers/postgres.js';
import { runWeft, startWeft } from './helpers/weft-process.js';

const REDIS_URL = process.env.WEFT_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});
const sh = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

/** An agent that writes <task>.txt and fails unless every dependency's file is in its worktree. */
const AGENT = `import { existsSync, writeFileSync } from 'node:fs';
const id = process.env.WEFT_TASK_ID;
const deps = (process.env.WEFT_TASK_DEPENDS_ON ?? '').split(',').filter(Boolean);
const missing = deps.filter((d) => !existsSync(d + '.txt'));
if (missing.length) { console.error('missing work of ' + missing.join(', ')); process.exit(1); }
await new Promise((r) => setTimeout(r, 200 + Math.random() * 400));
writeFileSync(id + '.txt', id + ' built on ' + (deps.join(',') || 'nothing') + '\\n');
`;

test('3 weft workers on one host, one repository, --max-attempts 1: every task succeeds and dependents see their dependencies', { timeout: 180_000 }, async () => {
  const db = await createTestDatabase();
  cleanups.push(db.drop);
  const prefix = `weft-test-${randomBytes(6).toString('hex')}`;
  cleanups.push(async () => {
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });
  const dir = mkdtempSync(join(tmpdir(), 'weft-3workers-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const repo = join(dir, 'repo');
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  writeFileSync(join(repo, 'README.md'), 'shared\n');
  sh(repo, 'add', '.');
  sh(repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init');
  writeFileSync(join(dir, 'agent.mjs'), AGENT);
  const parts = ['# Many workers\n'];
  for (let i = 1; i <= 9; i++) parts.push(`## A${i}: Independent ${i}\nDo ${i}.\n`);
  parts.push('## B1: Base\nDo it.\n', '## B2: On base\nDepends on: B1\n\nDo it.\n', '## B3: On both\nDepends on: B2, A1, A2\n\nDo it.\n');
  writeFileSync(join(dir, 'REQUIREMENTS.md'), parts.join('\n'));
  // One cache folder for all: the worktrees of the three workers live side by side, as on a real host.
  const env = { WEFT_REDIS_URL: REDIS_URL, XDG_CACHE_HOME: join(dir, 'cache') };
  const agent = `${process.execPath} ${join(dir, 'agent.mjs')}`;
  const enqueued = await runWeft(
    ['run', 'REQUIREMENTS.md', '--repo', repo, '--base', 'main', '--agent', agent, '--db', db.url, '--enqueue', '--shards', '3', '--prefix', prefix, '--concurrency', '2', '--max-attempts', '1'],
    { cwd: dir, env },
  );
  assert.equal(enqueued.code, 0, enqueued.output);
  const runId = enqueued.output.trim().split('\n').at(-1)!.trim();

  const workers = [1, 2, 3].map(() => startWeft(['worker', '--db', db.url, '--prefix', prefix], { cwd: dir, env }));
  cleanups.push(async () => void (await Promise.all(workers.map((w) => w.stop()))));
  const store = await openStore(db.url);
  cleanups.push(() => store.close());
  let status = 'pending';
  for (const until = Date.now() + 150_000; Date.now() < until; await new Promise((r) => setTimeout(r, 250))) {
    status = (await store.getRun(runId))?.status ?? 'missing';
    if (['succeeded', 'failed', 'cancelled'].includes(status)) break;
  }
  const tasks = await store.listTasks(runId);
  const attempts = await store.listAttempts(runId);
  const failures = attempts.filter((a) => a.status !== 'succeeded').map((a) => `${a.taskId}#${a.number} ${a.status}: ${a.error}`);
  assert.equal(status, 'succeeded', `${failures.join('\n')}\n${workers.map((w) => w.output()).join('\n---\n')}`);
  assert.equal(tasks.length, 12);
  assert.ok(tasks.every((t) => t.status === 'succeeded'));
  const files = sh(repo, 'ls-tree', '--name-only', `weft/run-${runId}`).split('\n');
  for (const t of tasks) assert.ok(files.includes(`${t.id}.txt`), `${t.id}.txt is on the integration branch`);
  assert.match(sh(repo, 'show', `weft/run-${runId}:B3.txt`), /built on B2,A1,A2/);
  // Each worker's engine ran attempts (the work really was shared).
  for (const w of workers) {
    const { code } = await w.stop();
    assert.equal(code, 0, w.output());
  }
  assert.equal(sh(repo, 'status', '--porcelain'), '', "the user's checkout is untouched");
});
