/**
 * The conformance suite for the agent presets: the REAL Claude Code, Codex and Gemini CLIs run through
 * weft's engine (real git repository, real worktrees, the presets' own argv and output readers) against
 * scripted model servers on 127.0.0.1 that speak each provider's API. One case list for every preset;
 * test/agents-real-<preset>.test.ts each run it for one CLI.
 *
 * The CLIs come from `bash scripts/install-test-agents.sh` (or WEFT_TEST_AGENTS_BIN); without them the
 * suite is skipped with a message saying so. Each CLI's own retries are turned down so that error cases end quickly.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { agentPresets } from '../../src/agents/presets.js';
import { defaultConfig } from '../../src/config/config-schema.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import type { AttemptRecord, ErrorCategory, RunRecord } from '../../src/store/records.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { Weft } from '../../src/weft.js';
import type { ModelServer, Scenario } from './model-servers/scripted-server.js';
import { processesWithHome, realAgentsBin, removeHome, skipUnlessInstalled, tempHome } from './real-agents.js';

/** The presets whose real CLIs the suite drives. */
export type PresetUnderTest = 'claude' | 'codex' | 'gemini';

/** One preset under test: its scripted server and the environment its CLI runs with. */
export interface Preset {
  name: PresetUnderTest;
  start: (scenario: Scenario) => Promise<ModelServer>;
  /** The environment the README documents for this CLI, plus its retry knobs turned down. */
  env: (url: string, home: string) => Record<string, string>;
  /** The attempt time limit of the never-answers case: long enough for the CLI to start and send its request. */
  hangTimeoutMinutes?: number;
  /** Flags added before the preset's last argument (retry knobs that only exist as flags). */
  extraArgs?: string[];
  /** Settings files the CLI reads from HOME. */
  prepareHome?: (home: string) => void;
  /** Cases this CLI cannot do, with the reason (none so far). */
  skips?: Partial<Record<CaseName, string>>;
}


/** Every preset runs every case (a skip names its reason). */
export const CASE_NAMES = ['success', 'verify-retry', 'auth-401', 'rate-limit-429', 'server-500', 'error-mid-stream', 'never-answers', 'tool-denied'] as const;
/** A case of the suite. */
export type CaseName = (typeof CASE_NAMES)[number];

const NOTE = 'notes/NOTE-1.md';
const VERIFY_MARKER = 'VERIFY-FAILED-7Q';

interface CaseRun {
  run: RunRecord;
  attempts: AttemptRecord[];
  server: ModelServer;
  home: string;
  repo: string;
  show: (path: string) => string;
}

interface Case {
  name: CaseName;
  scenario: Scenario;
  maxAttempts?: number;
  verify?: boolean;
  timeoutMinutes?: number;
  check: (r: CaseRun) => void | Promise<void>;
}

const edit = (content: string): ReturnType<Scenario> => ({ kind: 'edit', files: [{ path: NOTE, content }], summary: 'Wrote the note.' });

const failedWith = (r: CaseRun, category: ErrorCategory | ErrorCategory[], attempts = 1) => {
  const want = Array.isArray(category) ? category : [category];
  const detail = JSON.stringify(r.attempts.map((a) => [a.number, a.errorCategory, a.error]));
  assert.equal(r.run.status, 'failed', detail);
  assert.equal(r.attempts.length, attempts, detail);
  assert.ok(want.includes(r.attempts[0]!.errorCategory!), `category ${r.attempts[0]!.errorCategory}, want ${want.join(' or ')}: ${detail}`);
  assert.ok(r.server.requests.length > 0, 'the CLI reached the scripted server');
};

const CASES: Case[] = [
  {
    name: 'success',
    scenario: () => edit('# Note\n\nwritten by the scripted model\n'),
    check: (r) => {
      assert.equal(r.run.status, 'succeeded', JSON.stringify(r.attempts.map((a) => [a.errorCategory, a.error, a.output?.slice(-800)])));
      assert.equal(r.show(NOTE), '# Note\n\nwritten by the scripted model\n');
      assert.equal(r.attempts.length, 1);
    },
  },
  {
    name: 'verify-retry',
    verify: true,
    // The first answer fails the check; the retry's prompt carries the check's output, and the model fixes it.
    scenario: (prompt) => edit(prompt.includes(VERIFY_MARKER) ? 'v2: fixed after the check failed\n' : 'v1\n'),
    check: (r) => {
      assert.equal(r.run.status, 'succeeded', JSON.stringify(r.attempts.map((a) => [a.errorCategory, a.error])));
      assert.equal(r.attempts.length, 2);
      assert.match(r.attempts[0]!.error ?? '', /verify/i);
      assert.equal(r.show(NOTE), 'v2: fixed after the check failed\n');
      assert.ok(r.server.prompts.some((p) => p.includes(VERIFY_MARKER)), 'the retry prompt that reached the model carries the verify output');
      assert.ok(!r.server.prompts[0]!.includes(VERIFY_MARKER));
    },
  },
  { name: 'auth-401', maxAttempts: 3, scenario: () => ({ kind: 'status', status: 401, message: 'invalid x-api-key' }), check: (r) => failedWith(r, 'auth', 1) },
  {
    name: 'rate-limit-429',
    maxAttempts: 1,
    scenario: () => ({ kind: 'status', status: 429, headers: { 'retry-after': '1' }, message: 'rate limited: slow down' }),
    check: (r) => failedWith(r, 'rate_limit'),
  },
  { name: 'server-500', maxAttempts: 1, scenario: () => ({ kind: 'status', status: 500, message: 'internal error' }), check: (r) => failedWith(r, 'server') },
  // The stream breaks: Anthropic's `error` event, OpenAI's `response.failed`, Gemini's error chunk and a dropped connection.
  { name: 'error-mid-stream', maxAttempts: 1, scenario: () => ({ kind: 'stream-error' }), check: (r) => failedWith(r, ['server', 'network']) },
  {
    name: 'never-answers',
    maxAttempts: 1,
    timeoutMinutes: 0.25,
    scenario: () => ({ kind: 'hang' }),
    check: async (r) => {
      failedWith(r, 'timeout');
      // The agent's process group got SIGTERM, then SIGKILL: nothing of it may live on.
      let left = processesWithHome(r.home);
      for (let i = 0; i < 20 && left.length > 0; i++) {
        await new Promise((res) => setTimeout(res, 250));
        left = processesWithHome(r.home);
      }
      assert.deepEqual(left, [], 'no agent process is left');
    },
  },
  {
    name: 'tool-denied',
    maxAttempts: 2,
    // acceptEdits allows file edits, not shell commands: the Bash call is denied and nothing changes.
    scenario: () => ({ kind: 'shell', command: `node -e "require('fs').writeFileSync('${NOTE}', 'hi')"` }),
    check: (r) => {
      const detail = JSON.stringify(r.attempts.map((a) => [a.number, a.errorCategory, a.error]));
      assert.equal(r.run.status, 'failed', detail);
      assert.equal(r.attempts.length, 2, detail);
      assert.equal(r.attempts[0]!.errorCategory, 'permission', detail);
      assert.match(r.attempts[0]!.error ?? '', /denied: Bash \(node -e/);
      assert.ok(r.server.prompts.some((p) => p.includes('denied: Bash')), 'the retry prompt names the denied tool call');
    },
  },
];

const DOC = `# Notes

## NOTE-1: Write a note
Type: docs

Write ${NOTE}.
`;

// Exits 1 with the marker until the note says v2 (the verify case; the other cases run no verify).
// Green on the base (no note yet: weft checks the base before a run), red until the note starts with v2.
const CHECK = `import { existsSync, readFileSync } from 'node:fs';
if (!existsSync('${NOTE}')) process.exit(0);
const text = readFileSync('${NOTE}', 'utf8');
if (!text.startsWith('v2')) { console.log('${VERIFY_MARKER}: ${NOTE} must start with v2, it starts with ' + JSON.stringify(text.slice(0, 10))); process.exit(1); }
`;

const roots: string[] = [];
after(() => roots.forEach((d) => rmSync(d, { recursive: true, force: true })));

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' });

async function runCase(preset: Preset, c: Case): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), `weft-real-${preset.name}-`));
  roots.push(root);
  const repo = join(root, 'repo');
  mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'README.md'), '# notes\n');
  writeFileSync(join(repo, 'check.mjs'), CHECK);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'init');

  const home = tempHome();
  preset.prepareHome?.(home);
  const server = await preset.start(c.scenario);
  const store = openSqliteStore(join(root, 'weft.db'));
  try {
    await store.migrate();
    const config = defaultConfig();
    config.retry = { baseMs: 10, maxMs: 50, multiplier: 2 };
    config.circuitBreaker = { consecutiveFailures: 100, halfOpenAfterMs: 0 };
    config.git.worktreesDir = join(root, 'worktrees');
    // The preset's own argv and output reader; only the environment is the test's.
    const argv = agentPresets()[preset.name].argv;
    // The program by its full path (weft's preflight looks it up on weft's own PATH).
    const command = [join(realAgentsBin()!, argv[0]!), ...argv.slice(1, -1), ...(preset.extraArgs ?? []), ...argv.slice(-1)];
    config.agents[preset.name] = { command, env: { PATH: `${realAgentsBin()}${delimiter}${process.env.PATH}`, ...preset.env(server.url, home) } };
    const weft = new Weft(config, store, root);
    const plan = buildPlan({ requirements: { text: DOC, file: 'REQUIREMENTS.md' } });
    const run = await weft.createRun(plan, {
      agent: preset.name,
      concurrency: 1,
      repo,
      maxAttempts: c.maxAttempts ?? 2,
      timeoutMinutes: (c.name === 'never-answers' ? preset.hangTimeoutMinutes : undefined) ?? c.timeoutMinutes ?? 3,
      ...(c.verify ? { verify: 'node check.mjs' } : {}),
    });
    const outcome = await weft.executeRun(run.id);
    const attempts = await store.listAttempts(run.id, 'NOTE-1');
    const branch = outcome.run.branch ?? `weft/run-${run.id}`;
    await c.check({ run: outcome.run, attempts, server, home, repo, show: (path) => git(repo, 'show', `${branch}:${path}`) });
  } finally {
    await store.close();
    await server.close();
    removeHome(home);
  }
}

/** Registers the whole case list for one preset (skipped, with how to install, when its CLI is absent). */
export function conformanceSuite(preset: Preset): void {
  const skip = skipUnlessInstalled(preset.name);
  describe(`real ${preset.name} CLI through the engine`, { skip, concurrency: 1 }, () => {
    for (const c of CASES) {
      const why = preset.skips?.[c.name];
      it(c.name, { skip: why ?? false, timeout: 180_000 }, () => runCase(preset, c));
    }
  });
}
