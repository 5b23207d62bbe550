import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AgentError } from '../src/agents/agent-backend.js';
import { createAgentBackend, createBackendRouter, resolveAgentSpec, routeAgent } from '../src/agents/create-agent.js';
import { classifyAgentMessage, listAgents } from '../src/agents/presets.js';
import { defaultConfig, weftConfigSchema } from '../src/config/config-schema.js';
import { InputError } from '../src/core/errors.js';
import type { TaskSpec } from '../src/core/task.js';

function task(over: Partial<TaskSpec> = {}): TaskSpec {
  return {
    id: 'T', title: 'T', description: '', type: 'feature', typeReason: '', priority: 'medium', status: 'pending', dependsOn: [],
    estimateMinutes: 1, files: [], acceptanceCriteria: [], requirementId: 'T', requirementTitle: 'T', source: { file: 'R.md', line: 1 }, ...over,
  };
}

// A stand-in `claude` that prints stream-json the way Claude Code's headless mode does.
const FAKE_CLAUDE = `#!${process.execPath}
const fs = require('node:fs');
const prompt = fs.readFileSync(0, 'utf8');
fs.writeFileSync('claude-argv.json', JSON.stringify({ argv: process.argv.slice(2), prompt }));
const emit = (o) => console.log(JSON.stringify(o));
emit({ type: 'system', subtype: 'init', session_id: 's1' });
emit({ type: 'assistant', message: { content: [{ type: 'text', text: 'Working on it' }] } });
const error = process.env.CLAUDE_CODE_FAKE_MODE === 'error';
emit({ type: 'result', subtype: error ? 'error_during_execution' : 'success', is_error: error, result: error ? 'Credit balance is too low' : 'Implemented the parser', total_cost_usd: 0.42, num_turns: 7, session_id: 's1' });
process.exit(0);
`;

describe('presets and routing', () => {
  let bin: string;
  let work: string;
  const savedPath = process.env.PATH;
  before(async () => {
    bin = await mkdtemp(join(tmpdir(), 'weft-bin-'));
    work = await mkdtemp(join(tmpdir(), 'weft-work-'));
    await writeFile(join(bin, 'claude'), FAKE_CLAUDE);
    await chmod(join(bin, 'claude'), 0o755);
    process.env.PATH = `${bin}${delimiter}${savedPath}`;
  });
  after(async () => {
    process.env.PATH = savedPath;
    delete process.env.CLAUDE_CODE_FAKE_MODE;
    await rm(bin, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  const run = (mode: string) => {
    process.env.CLAUDE_CODE_FAKE_MODE = mode;
    const agent = createAgentBackend('claude', defaultConfig());
    return agent.run({
      runId: 'r', task: task(), attempt: 1, prompt: 'do it', worktree: work, branch: 'b', signal: new AbortController().signal, log: () => undefined,
    });
  };

  it('runs claude headless with stream-json and keeps result, cost and turns', async () => {
    const result = await run('ok');
    assert.equal(result.summary, 'Implemented the parser');
    assert.deepEqual(result.data, { costUsd: 0.42, turns: 7, sessionId: 's1' });
    const seen = JSON.parse(await readFile(join(work, 'claude-argv.json'), 'utf8'));
    assert.deepEqual(seen.argv.slice(0, 4), ['-p', '--output-format', 'stream-json', '--verbose']);
    assert.equal(seen.prompt, 'do it');
  });

  it('treats an is_error result with exit 0 as a failure', async () => {
    await assert.rejects(run('error'), (e: unknown) => {
      assert.ok(e instanceof AgentError);
      assert.equal(e.message, 'claude reported an error: Credit balance is too low');
      assert.equal(e.category, 'quota');
      assert.deepEqual(e.data, { costUsd: 0.42, turns: 7, sessionId: 's1' });
      return true;
    });
  });

  it('classifies agent error text', () => {
    assert.equal(classifyAgentMessage('Invalid API key · Please run /login'), 'auth');
    assert.equal(classifyAgentMessage('Claude AI usage limit reached|1700000000'), 'rate_limit');
    assert.equal(classifyAgentMessage('tests failed'), 'agent');
  });

  it('lists which agents are installed', async () => {
    const config = weftConfigSchema.parse({ agents: { mine: { command: 'my-agent --go' } } });
    const rows = await listAgents(config, { PATH: bin }, { versions: false });
    const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
    assert.deepEqual(Object.keys(byName), ['claude', 'codex', 'aider', 'gemini', 'example', 'mine', 'codegen']);
    assert.equal(byName.codegen!.installed, false);
    assert.equal(byName.claude!.installed, true);
    assert.equal(byName.claude!.path, join(bin, 'claude'));
    assert.equal(byName.codex!.installed, false);
    assert.equal(byName.example!.installed, true);
    assert.deepEqual([byName.mine!.installed, byName.mine!.source, byName.mine!.command], [false, 'config', 'my-agent --go']);
  });

  it('shows version, credentials (never values) and the exact argv per preset', async () => {
    const vbin = await mkdtemp(join(tmpdir(), 'weft-vbin-'));
    await writeFile(join(vbin, 'codex'), `#!${process.execPath}\nconsole.log('codex-cli 9.9.9')\n`);
    await chmod(join(vbin, 'codex'), 0o755);
    const home = await mkdtemp(join(tmpdir(), 'weft-home-'));
    try {
      const env = { PATH: vbin, HOME: home, OPENAI_API_KEY: 'sk-secret', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' };
      const config = weftConfigSchema.parse({ budget: { maxAttemptCostUsd: 1.5 } });
      const rows = Object.fromEntries((await listAgents(config, env)).map((r) => [r.name, r]));
      assert.equal(rows.codex!.version, 'codex-cli 9.9.9');
      assert.deepEqual([rows.codex!.credentials, rows.codex!.credentialSource], ['env', 'OPENAI_API_KEY']);
      assert.ok(!JSON.stringify(rows).includes('sk-secret'));
      // codex reads no base URL from the environment: weft passes OPENAI_BASE_URL as a model provider.
      assert.deepEqual(rows.codex!.argv.slice(0, 6), ['codex', 'exec', '-c', 'model_providers.weft-openai={name="OpenAI-compatible (OPENAI_BASE_URL)",base_url="http://127.0.0.1:9/v1",env_key="OPENAI_API_KEY",wire_api="responses"}', '-c', 'model_provider="weft-openai"']);
      assert.equal(rows.codex!.argv.at(-1), '-');
      assert.deepEqual(rows.claude!.argv.slice(-2), ['--max-budget-usd', '1.5']);
      assert.equal(rows.claude!.credentials, 'missing');
      assert.deepEqual(rows.gemini!.argv.slice(0, 4), ['gemini', '--skip-trust', '--approval-mode', 'auto_edit']);
      assert.ok(rows.aider!.argv.includes('--no-gitignore'));
    } finally {
      await rm(vbin, { recursive: true, force: true });
      await rm(home, { recursive: true, force: true });
    }
  });

  it('resolves agent specs: built-ins, config names, presets, command lines', () => {
    const config = weftConfigSchema.parse({ agents: { fast: { command: ['claude', '-p', '--model', 'haiku'], env: { X: 1 } }, codex: { command: 'codex exec -' } } });
    assert.deepEqual(resolveAgentSpec('simulate', config), { kind: 'simulate' });
    assert.deepEqual(resolveAgentSpec('codegen', config), { kind: 'codegen' });
    assert.deepEqual(resolveAgentSpec('fast', config), { kind: 'command', name: 'fast', argv: ['claude', '-p', '--model', 'haiku'], env: { X: '1' } });
    assert.deepEqual(resolveAgentSpec('codex', config), { kind: 'command', name: 'codex', argv: ['codex', 'exec', '-'], env: {}, preset: 'codex' });
    assert.equal(resolveAgentSpec('aider', config).kind, 'command');
    assert.deepEqual(resolveAgentSpec('./bin/agent --x "a b"', config), { kind: 'command', name: 'agent', argv: ['./bin/agent', '--x', 'a b'], env: {} });
    assert.throws(() => resolveAgentSpec('agent "unclosed', config), InputError);
    assert.throws(() => resolveAgentSpec('  ', config), InputError);
    assert.throws(() => createAgentBackend('simulate', config), InputError);
  });

  it('routes a task: its Agent line, then config rules by type, then the default', () => {
    const config = weftConfigSchema.parse({ routing: [{ type: 'docs', agent: 'aider' }, { type: 'test', agent: 'codex' }] });
    assert.equal(routeAgent(task({ agent: 'gemini', type: 'docs' }), 'claude', config), 'gemini');
    assert.equal(routeAgent(task({ type: 'docs' }), 'claude', config), 'aider');
    assert.equal(routeAgent(task({ type: 'feature' }), 'claude', config), 'claude');
    const backendFor = createBackendRouter('claude', config);
    assert.equal(backendFor(task({ type: 'test' })).name, 'codex');
    assert.equal(backendFor(task()), backendFor(task({ id: 'other' })), 'one backend object per spec');
  });
});
