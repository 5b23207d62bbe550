import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AgentError, type AgentRequest } from '../src/agents/agent-backend.js';
import { createCommandAgent } from '../src/agents/command-agent.js';
import { createAgentBackend, resolveAgentSpec } from '../src/agents/create-agent.js';
import { defaultConfig } from '../src/config/config-schema.js';
import type { TaskSpec } from '../src/core/task.js';

const node = process.execPath;

function task(id: string, title: string, dependsOn: string[] = []): TaskSpec {
  return {
    id, title, description: '', type: 'feature', typeReason: '', priority: 'medium', status: 'pending', dependsOn,
    estimateMinutes: 1, files: [], acceptanceCriteria: [], requirementId: id, requirementTitle: title, source: { file: 'R.md', line: 1 },
  };
}

function request(worktree: string, over: Partial<AgentRequest> = {}): AgentRequest & { logged: string[] } {
  const logged: string[] = [];
  return {
    runId: 'run1', task: task('T-1', 'Do it'), attempt: 2, prompt: '# Task\nDo the thing\n', worktree, branch: 'weft/run1/T-1-a2',
    signal: new AbortController().signal, log: (c) => logged.push(c), logged, ...over,
  };
}

/** Dead, or a zombie waiting for a reaper (containers often run without one). */
async function gone(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return / Z /.test(stat);
}

describe('command agent', () => {
  let dir: string;
  let scripts: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weft-cmd-'));
    scripts = await mkdtemp(join(tmpdir(), 'weft-cmd-scripts-'));
    // Records what the agent saw: its argv, environment, stdin and the prompt file.
    await writeFile(join(scripts, 'record.mjs'), `
      import { readFileSync, writeFileSync } from 'node:fs';
      const stdin = readFileSync(0, 'utf8');
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('WEFT_') || k === 'EXTRA'));
      const file = readFileSync(process.env.WEFT_PROMPT_FILE, 'utf8');
      writeFileSync('seen.json', JSON.stringify({ argv: process.argv.slice(2), env, stdin, file, cwd: process.cwd() }));
      console.log('working...');
      console.log('All done: changed seen.json');
    `);
    await writeFile(join(scripts, 'fail.mjs'), `console.log('trying'); console.error('something broke badly'); process.exit(3);`);
    await writeFile(join(scripts, 'noisy.mjs'), `for (let i = 0; i < 5000; i++) console.log('line ' + i + ' ' + 'x'.repeat(30)); console.log('THE END');`);
    await writeFile(join(scripts, 'daemon.mjs'), `
      import { spawn } from 'node:child_process';
      import { writeFileSync } from 'node:fs';
      const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'inherit' });
      child.unref();
      writeFileSync('daemon.pid', String(child.pid));
      console.log('left a server running');
    `);
    await writeFile(join(scripts, 'hang.mjs'), `
      import { spawn } from 'node:child_process';
      import { writeFileSync } from 'node:fs';
      if (process.env.IGNORE_TERM) process.on('SIGTERM', () => {});
      const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      writeFileSync('grandchild.pid', String(child.pid));
      console.log('started');
      setInterval(() => {}, 1000);
    `);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(scripts, { recursive: true, force: true });
  });

  it('passes the prompt on stdin and in a file outside the worktree, with the WEFT_* environment', async () => {
    const agent = createCommandAgent({ name: 'rec', argv: [node, join(scripts, 'record.mjs'), '--prompt={prompt_file}'], env: { EXTRA: 'yes' } });
    assert.equal(agent.needsWorktree, true);
    const req = request(dir, { task: task('T-1', 'Do it', ['A', 'B']) });
    const result = await agent.run(req);
    const seen = JSON.parse(await readFile(join(dir, 'seen.json'), 'utf8'));
    assert.equal(seen.stdin, req.prompt);
    assert.equal(seen.file, req.prompt);
    assert.equal(seen.cwd, dir);
    assert.deepEqual(seen.argv, [`--prompt=${seen.env.WEFT_PROMPT_FILE}`]);
    assert.ok(!seen.env.WEFT_PROMPT_FILE.startsWith(dir), 'the prompt file is not inside the worktree');
    assert.equal(existsSync(seen.env.WEFT_PROMPT_FILE), false, 'the prompt file is removed afterwards');
    const { WEFT_PROMPT_FILE: _p, ...env } = seen.env;
    assert.deepEqual(env, {
      EXTRA: 'yes', WEFT_RUN_ID: 'run1', WEFT_TASK_ID: 'T-1', WEFT_TASK_TITLE: 'Do it', WEFT_TASK_DEPENDS_ON: 'A,B',
      WEFT_ATTEMPT: '2', WEFT_BRANCH: 'weft/run1/T-1-a2', WEFT_WORKTREE: dir,
    });
    assert.equal(result.summary, 'working...\nAll done: changed seen.json');
    assert.match(req.logged.join(''), /All done/);
  });

  it('never lets task text or command-line text reach a shell', async () => {
    const evil = '$(touch pwned) `touch pwned2`; touch pwned3 && rm -rf ./*';
    const spec = resolveAgentSpec(`${node} ${join(scripts, 'record.mjs')} '$(touch pwned4)' ";touch pwned5"`, defaultConfig());
    const agent = createAgentBackend(spec, defaultConfig());
    await agent.run(request(dir, { task: task('T-2', evil), prompt: evil }));
    const seen = JSON.parse(await readFile(join(dir, 'seen.json'), 'utf8'));
    assert.equal(seen.env.WEFT_TASK_TITLE, evil);
    assert.deepEqual(seen.argv, ['$(touch pwned4)', ';touch pwned5']);
    for (const f of ['pwned', 'pwned2', 'pwned3', 'pwned4', 'pwned5']) assert.equal(existsSync(join(dir, f)), false, f);
    assert.ok(existsSync(join(dir, 'seen.json')));
  });

  it('fails on a non-zero exit with the output tail', async () => {
    const agent = createCommandAgent({ name: 'fail', argv: [node, join(scripts, 'fail.mjs')] });
    await assert.rejects(agent.run(request(dir)), (e: unknown) => {
      assert.ok(e instanceof AgentError);
      assert.equal(e.category, 'agent');
      assert.equal(e.message, 'agent exited with code 3');
      assert.match(e.output ?? '', /trying[\s\S]*something broke badly/);
      return true;
    });
  });

  it('reports a missing program as a validation error', async () => {
    const agent = createCommandAgent({ name: 'nope', argv: ['weft-no-such-agent-xyz', '--flag'] });
    await assert.rejects(agent.run(request(dir)), (e: unknown) => e instanceof AgentError && e.category === 'validation' && e.message === 'agent command not found: weft-no-such-agent-xyz');
    await assert.rejects(agent.run(request('', { worktree: null })), (e: unknown) => e instanceof AgentError && e.category === 'validation');
  });

  it('keeps a bounded tail of long output', async () => {
    const agent = createCommandAgent({ name: 'noisy', argv: [node, join(scripts, 'noisy.mjs')] });
    const req = request(dir);
    const result = await agent.run(req);
    assert.ok(result.output!.length <= 16 * 1024);
    assert.ok(result.output!.trimEnd().endsWith('THE END'));
    assert.ok(req.logged.join('').length > 100_000, 'the log gets everything');
  });

  // A hang fails by the test's timeout; no wall-time assertion (the machine may be loaded).
  it('does not hang on a background process that keeps the output open', { timeout: 60_000 }, async () => {
    const work = join(dir, 'daemon');
    await mkdir(work);
    const agent = createCommandAgent({ name: 'daemon', argv: [node, join(scripts, 'daemon.mjs')] });
    const result = await agent.run(request(work));
    assert.match(result.summary ?? '', /left a server running/);
    const pid = Number(await readFile(join(work, 'daemon.pid'), 'utf8'));
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(await gone(pid), 'the leftover process is stopped');
  });

  for (const [reason, category] of [['cancelled', 'cancelled'], ['timeout', 'timeout']] as const) {
    it(`kills the agent and its children on abort (${reason})`, { timeout: 60_000 }, async () => {
      const work = join(dir, reason);
      await mkdir(work);
      const agent = createCommandAgent({ name: 'hang', argv: [node, join(scripts, 'hang.mjs')], env: { IGNORE_TERM: reason === 'timeout' ? '1' : '' }, killGraceMs: 200 });
      const controller = new AbortController();
      const req = request(work, { signal: controller.signal });
      const running = agent.run(req);
      while (!req.logged.join('').includes('started')) await new Promise((r) => setTimeout(r, 20));
      controller.abort(reason);
      await assert.rejects(running, (e: unknown) => e instanceof AgentError && e.category === category);
      const pid = Number(await readFile(join(work, 'grandchild.pid'), 'utf8'));
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(await gone(pid), 'the grandchild is gone too');
    });
  }

  it('runs the bundled example agent, which sees its dependencies\' files', async () => {
    const work = join(dir, 'example');
    await mkdir(join(work, 'weft-example'), { recursive: true });
    await writeFile(join(work, 'weft-example', 'A.md'), '# A\n');
    const agent = createAgentBackend('example', defaultConfig());
    const result = await agent.run(request(work, { task: task('B.1', 'Build B', ['A']), attempt: 1 }));
    const text = await readFile(join(work, 'weft-example', 'B.1.md'), 'utf8');
    assert.match(text, /^# B\.1: Build B/);
    assert.match(text, /- A: weft-example\/A\.md is present/);
    assert.match(result.summary ?? '', /sees 1 of 1/);
  });
});
