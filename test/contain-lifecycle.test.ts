/**
 * Agents die with weft: SIGKILL of `weft run` with 3 agents running (each with a child of its own)
 * leaves none alive; and an agent that got rid of its watcher and survived is ended by `weft resume`
 * before the task's next attempt starts, so a task never has two live agents.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeRepo } from './helpers/contain-fixtures.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
const TSX = import.meta.resolve('tsx');
const root = mkdtempSync(join(tmpdir(), 'weft-lifecycle-'));
const started: ChildProcess[] = [];
after(() => {
  for (const c of started) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

const AGENT = `
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const dump = process.env.DUMP, id = process.env.WEFT_TASK_ID, attempt = Number(process.env.WEFT_ATTEMPT);
const alive = (pid) => { try { return !/^\\S+ \\(.*\\) Z/.test(fs.readFileSync('/proc/' + pid + '/stat', 'utf8')); } catch { return false; } };
if (attempt > 1) {
  const before = JSON.parse(fs.readFileSync(path.join(dump, id + '-a1.json'), 'utf8'));
  fs.writeFileSync(path.join(dump, id + '-a' + attempt + '.saw.json'), JSON.stringify({ agentAlive: alive(before.pid), childAlive: alive(before.child) }));
  fs.writeFileSync(id + '.txt', 'done\\n');
  process.exit(0);
}
if (process.env.KILL_WATCHER) {
  // Escape the watchdog: end the watcher (our own child, an sh waiting on fd 3).
  for (const t of fs.readdirSync('/proc/self/task')) {
    for (const c of fs.readFileSync('/proc/self/task/' + t + '/children', 'utf8').split(' ').filter(Boolean)) {
      if (fs.readFileSync('/proc/' + c + '/cmdline', 'utf8').startsWith('/bin/sh')) process.kill(Number(c), 'SIGKILL');
    }
  }
}
const child = spawn('sleep', ['300'], { stdio: 'ignore' });
fs.writeFileSync(path.join(dump, id + '-a1.json'), JSON.stringify({ pid: process.pid, child: child.pid }));
setInterval(() => {}, 1000);
`;

const alive = (pid: number) => {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function setup(name: string, extraEnv: string): { repo: string; dump: string } {
  const repo = makeRepo(join(root, name));
  const dump = join(root, `${name}-dump`);
  rmSync(dump, { recursive: true, force: true });
  writeFileSync(join(root, 'agent.cjs'), AGENT);
  mkdirSync(dump);
  writeFileSync(
    join(repo, 'weft.config.yaml'),
    `agents:\n  lc: { command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(join(root, 'agent.cjs'))}], env: { DUMP: ${JSON.stringify(dump)}${extraEnv} } }\n`,
  );
  return { repo, dump };
}

function weft(repo: string, args: string[]): ChildProcess & { done: Promise<number | null>; stderrText: () => string } {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args, '--quiet', '--db', join(repo, '.weft', 'weft.db')], { cwd: repo, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  const done = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return Object.assign(child, { done, stderrText: () => err });
}

const pids = (dump: string) =>
  readdirSync(dump)
    .filter((f) => f.endsWith('-a1.json'))
    .map((f) => JSON.parse(readFileSync(join(dump, f), 'utf8')) as { pid: number; child: number });

test('SIGKILL of weft run with 3 agents running: none of them (nor their children) is alive soon after', { timeout: 120_000 }, async () => {
  const { repo, dump } = setup('killed', '');
  writeFileSync(join(repo, 'REQ.md'), '# Hang\n\n## A: One\n\n## B: Two\n\n## C: Three\n');
  const run = weft(repo, ['run', join(repo, 'REQ.md'), '--agent', 'lc', '--repo', repo, '--concurrency', '3']);
  await until('3 agents', () => existsSync(dump) && pids(dump).length === 3, 60_000).catch((err: Error) => {
    throw new Error(`${err.message}: ${run.stderrText()}`);
  });
  const all = pids(dump).flatMap((p) => [p.pid, p.child]);
  assert.ok(all.every(alive));
  run.kill('SIGKILL');
  await run.done;
  // Generous: the watchers act within milliseconds.
  await until('every agent to end', () => all.every((p) => !alive(p)), 10_000);
});

test('an agent that escaped its watchdog is ended by weft resume before the next attempt', { timeout: 120_000 }, async () => {
  const { repo, dump } = setup('resumed', ', KILL_WATCHER: "1"');
  writeFileSync(join(repo, 'REQ.md'), '# Hang\n\n## A: One\n');
  const run = weft(repo, ['run', join(repo, 'REQ.md'), '--agent', 'lc', '--repo', repo]);
  await until('the agent', () => pids(dump).length === 1, 60_000);
  // Give it a moment to kill its watcher.
  await new Promise((r) => setTimeout(r, 300));
  const [first] = pids(dump);
  run.kill('SIGKILL');
  await run.done;
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(alive(first!.pid), 'the agent survived weft (its watcher is gone)');
  const resumed = weft(repo, ['resume']);
  const code = await resumed.done;
  assert.equal(code, 0, resumed.stderrText());
  const saw = JSON.parse(readFileSync(join(dump, 'A-a2.saw.json'), 'utf8')) as { agentAlive: boolean; childAlive: boolean };
  assert.deepEqual(saw, { agentAlive: false, childAlive: false }, 'attempt 2 started only after the survivor had ended');
});
