// The git side of a whole run, phase by phase, with the bundled example agent: what the engine does per attempt.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AgentError } from '../src/agents/agent-backend.js';
import { createAgentBackend } from '../src/agents/create-agent.js';
import { defaultConfig } from '../src/config/config-schema.js';
import { buildPlan } from '../src/plan/build-plan.js';
import { GitWorkspace } from '../src/vcs/git-workspace.js';

const sh = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

describe('example run through GitWorkspace', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('every dependent sees its dependencies, the integration branch holds everything, the base is untouched', async () => {
    const repo = await mkdtemp(join(tmpdir(), 'weft-shop-'));
    dirs.push(repo);
    await cp(new URL('../examples/shop/repo/', import.meta.url), repo, { recursive: true });
    sh(repo, 'init', '-q', '-b', 'main');
    sh(repo, 'add', '.');
    sh(repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'start');
    const base = sh(repo, 'rev-parse', 'main');

    const file = new URL('../examples/shop/REQUIREMENTS.md', import.meta.url);
    const plan = buildPlan({ requirements: { text: await readFile(file, 'utf8'), file: 'REQUIREMENTS.md' } });
    const ws = await GitWorkspace.open({ repo });
    const { branch } = await ws.prepareRun('demo');
    const agent = createAgentBackend('example', defaultConfig());
    const byId = new Map(plan.tasks.map((t) => [t.id, t]));

    for (const phase of plan.phases) {
      // Tasks of one phase run side by side; the merge queue serializes their integration.
      await Promise.all(
        phase.map(async (id) => {
          const task = byId.get(id)!;
          for (let attempt = 1; ; attempt++) {
            const a = await ws.prepareAttempt('demo', task, attempt);
            const output: string[] = [];
            let ok = false;
            try {
              await agent.run({ runId: 'demo', task, attempt, prompt: `# ${task.title}\n`, worktree: a.worktree, branch: a.branch, signal: new AbortController().signal, log: (c) => output.push(c) });
              await ws.collectChanges('demo', task, a);
              await ws.integrate('demo', task, a);
              ok = true;
            } catch (err) {
              assert.ok(err instanceof AgentError, String(err));
              if (attempt >= 2) throw err;
            } finally {
              await ws.releaseAttempt(a, ok);
            }
            if (ok) break;
          }
        }),
      );
    }

    const files = sh(repo, 'ls-tree', '-r', '--name-only', branch).split('\n');
    for (const t of plan.tasks) {
      assert.ok(files.includes(`weft-example/${t.id}.md`), t.id);
      const note = sh(repo, 'show', `${branch}:weft-example/${t.id}.md`);
      for (const dep of t.dependsOn) assert.match(note, new RegExp(`- ${dep.replace('.', '\\.')}: .* is present`), `${t.id} sees ${dep}`);
      assert.doesNotMatch(note, /NOT visible/);
    }
    assert.equal(sh(repo, 'rev-parse', 'main'), base);
    assert.equal(sh(repo, 'status', '--porcelain'), '');
    const worktrees = sh(repo, 'worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree '));
    assert.equal(worktrees.length, 1, `no worktree is left behind: ${worktrees.join(', ')}`);
    await ws.finishRun('demo');
  });
});
