/**
 * `weft demo --agent claude|codex|gemini` through the real CLI binary of weft and the real agent CLIs, with
 * only the environment the README documents for each agent, against scripted model servers that write
 * one file per task: every task succeeds and every file is on the integration branch.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startAnthropicServer } from './helpers/model-servers/anthropic.js';
import { startGeminiServer } from './helpers/model-servers/gemini.js';
import { startOpenAiServer } from './helpers/model-servers/openai-responses.js';
import { taskIdIn, type ModelServer, type Scenario } from './helpers/model-servers/scripted-server.js';
import { realAgentsBin, removeHome, skipUnlessInstalled, tempHome } from './helpers/real-agents.js';

const ROOT = join(import.meta.dirname, '..');
const TASKS = ['CAT-1.1', 'CAT-1.2', 'USER-1.1', 'USER-1.2', 'CART-1', 'CHECKOUT-1', 'TEST-1', 'DOCS-1'];

const fileFor = (id: string) => `weft-demo/${id}.md`;
const scenario: Scenario = (prompt) => {
  const id = taskIdIn(prompt) ?? 'unknown';
  return { kind: 'edit', files: [{ path: fileFor(id), content: `# ${id}\n\nDone by the scripted model.\n` }], summary: `Wrote ${fileFor(id)}` };
};

interface DemoAgent {
  name: 'claude' | 'codex' | 'gemini';
  start: (s: Scenario) => Promise<ModelServer>;
  /** Exactly what the README's agents table says to set. */
  env: (url: string) => Record<string, string>;
}

const AGENTS: DemoAgent[] = [
  { name: 'claude', start: startAnthropicServer, env: (url) => ({ ANTHROPIC_BASE_URL: url, ANTHROPIC_API_KEY: 'sk-ant-scripted' }) },
  { name: 'codex', start: startOpenAiServer, env: (url) => ({ OPENAI_BASE_URL: `${url}/v1`, OPENAI_API_KEY: 'sk-scripted' }) },
  { name: 'gemini', start: startGeminiServer, env: (url) => ({ GOOGLE_GEMINI_BASE_URL: url, GEMINI_API_KEY: 'scripted-key' }) },
];

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('weft demo with the real agent CLIs', { concurrency: 1 }, () => {
  for (const agent of AGENTS) {
    it(`weft demo --agent ${agent.name} finishes 8 of 8 with every file on the integration branch`, { skip: skipUnlessInstalled(agent.name), timeout: 420_000 }, async () => {
      const server = await agent.start(scenario);
      const home = tempHome();
      const dir = join(mkdtempSync(join(tmpdir(), `weft-demo-${agent.name}-`)), 'shop');
      dirs.push(dir);
      try {
        // A clean environment: PATH (node, git and the agent CLIs), HOME, and the agent's documented variables.
        const env = { PATH: `${realAgentsBin()}${delimiter}${process.env.PATH}`, HOME: home, ...agent.env(server.url) };
        const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
          execFile(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'demo', '--agent', agent.name, '--dir', dir], { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024 }, (err, out, errOut) =>
            resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout: out, stderr: errOut }),
          );
        });
        assert.equal(code, 0, `${stdout.slice(-3000)}\n${stderr.slice(-3000)}`);
        const branch = /Files on (\S+):/.exec(stdout)?.[1];
        assert.ok(branch, stdout.slice(-2000));
        const files = execFileSync('git', ['ls-tree', '-r', '--name-only', branch], { cwd: dir, encoding: 'utf8' }).split('\n');
        for (const id of TASKS) assert.ok(files.includes(fileFor(id)), `${fileFor(id)} on ${branch}: ${files.join(', ')}`);
        assert.equal(execFileSync('git', ['show', `${branch}:${fileFor('CHECKOUT-1')}`], { cwd: dir, encoding: 'utf8' }), '# CHECKOUT-1\n\nDone by the scripted model.\n');
        // The report shows what the agent reported: tokens for all three, claude's cost in dollars.
        const usage = /^- Usage: (.*)$/m.exec(stdout)?.[1] ?? '';
        assert.doesNotMatch(usage, /not reported/, usage);
        if (agent.name === 'claude') assert.match(usage, /\$\d/, usage);
        assert.equal(new Set(server.prompts.map((p) => taskIdIn(p))).size, TASKS.length, 'each task reached the model once per turn');
      } finally {
        await server.close();
        removeHome(home);
      }
    });
  }
});
