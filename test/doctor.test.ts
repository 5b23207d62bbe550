/** `weft doctor` and the same checks refusing a run before anything is stored (no run, no branch, no worktree). */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../src/store/open-store.js';
import { gitSync, runWeft } from './helpers/run-cli.js';

const runCli = (args: string[], cwd: string, env?: Record<string, string | undefined>) => runWeft(args, { cwd, ...(env ? { env } : {}) });

let dir: string;
let repo: string;
const DOC = `# Tiny

## A: First
Estimate: 5m

Write a.

## B: Second
Depends on: A
Agent: exampel

Write b.
`;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-doctor-'));
  repo = join(dir, 'repo');
  gitSync(dir, 'init', '-q', '-b', 'main', repo);
  writeFileSync(join(repo, 'package.json'), JSON.stringify({ name: 'tiny', scripts: { test: 'node -e "process.exit(0)"' } }));
  gitSync(repo, 'add', '-A');
  gitSync(repo, 'commit', '-q', '-m', 'init');
  writeFileSync(join(dir, 'REQUIREMENTS.md'), DOC);
  writeFileSync(join(dir, 'GOOD.md'), DOC.replace('Agent: exampel\n', ''));
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function runsStored(): Promise<number> {
  const db = join(dir, '.weft', 'weft.db');
  if (!existsSync(db)) return 0;
  const store = await openStore(db);
  try {
    return (await store.listRuns()).length;
  } finally {
    await store.close();
  }
}

describe('weft doctor', () => {
  it('shows every check, one line each, and exits 0 when a run could start', async () => {
    const r = await runCli(['doctor', 'GOOD.md', '--agent', 'example', '--repo', repo, '--verify', 'npm test'], dir);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const line of ['✔ repository: ', '✔ base branch: main', '✔ working tree: clean', '✔ agent example: ', '✔ verify "npm test": resolves', '✔ store: SQLite ']) {
      assert.ok(r.stdout.includes(line), `${line} in\n${r.stdout}`);
    }
    assert.match(r.stdout, /Ready to run\./);
    assert.equal(existsSync(join(dir, '.weft')), false, 'doctor creates nothing');
  });

  it('names each problem and exits 2: an agent a task routes to, the verify script, the base branch, services', async () => {
    const r = await runCli(['doctor', '--agent', 'example', '--repo', repo, '--verify', 'npm run tset', '--base', 'mian', '--redis', 'redis://127.0.0.1:1', '--json'], dir);
    assert.equal(r.code, 2);
    const { ok, checks } = JSON.parse(r.stdout) as { ok: boolean; checks: { name: string; level: string; message: string }[] };
    assert.equal(ok, false);
    const failed = Object.fromEntries(checks.filter((c) => c.level === 'fail').map((c) => [c.name, c.message]));
    assert.match(failed['agent exampel']!, /command "exampel" not found \(did you mean: example\)/);
    assert.match(failed['verify "npm run tset"']!, /no script "tset" \(did you mean: test\)/);
    assert.match(failed['base branch']!, /"mian" does not exist .*did you mean: main/);
    assert.match(failed.redis!, /unreachable/);
  });

  it('warns about uncommitted changes (agents do not see them) without failing', async () => {
    writeFileSync(join(repo, 'scratch.txt'), 'wip\n');
    try {
      const r = await runCli(['doctor', 'GOOD.md', '--agent', 'example', '--repo', repo], dir);
      assert.equal(r.code, 0, r.stdout);
      assert.match(r.stdout, /! working tree: 1 uncommitted change: agents start from the last commit/);
    } finally {
      rmSync(join(repo, 'scratch.txt'));
    }
  });

  it('checks a preset agent\'s credentials', async () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'codex'), '#!/bin/sh\necho "codex-cli 9.9.9"\n', { mode: 0o755 });
    const env = { PATH: `${bin}:${process.env.PATH}`, HOME: dir, OPENAI_API_KEY: undefined, CODEX_API_KEY: undefined, CODEX_HOME: undefined };
    const r = await runCli(['doctor', 'GOOD.md', '--agent', 'codex', '--repo', repo], dir, env);
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stdout, /✖ agent codex: no credentials: set OPENAI_API_KEY or run `codex login`/);
    const ok = await runCli(['doctor', 'GOOD.md', '--agent', 'codex', '--repo', repo], dir, { ...env, OPENAI_API_KEY: 'sk-test' });
    assert.match(ok.stdout, /✔ agent codex: .*codex \(codex-cli 9\.9\.9\)/);
  });
});

describe('a run is refused before anything is stored', () => {
  for (const [what, args, message] of [
    ['a mistyped agent', ['GOOD.md', '--agent', 'exmaple'], /^weft: agent exmaple: command "exmaple" not found \(did you mean: example\)$/m],
    ['an agent a task routes to', ['REQUIREMENTS.md', '--agent', 'example'], /^weft: agent exampel: command "exampel" not found/m],
    ['a mistyped verify', ['GOOD.md', '--agent', 'example', '--verify', 'nmp test'], /^weft: verify "nmp test": command "nmp" not found on PATH$/m],
    ['a base branch that does not exist', ['GOOD.md', '--agent', 'example', '--base', 'nosuch'], /^weft: base branch: "nosuch" does not exist/m],
  ] as const) {
    it(`${what}: exit 2, no run in the store, git branch unchanged`, async () => {
      const branches = gitSync(repo, 'branch', '--list', '--all');
      const worktrees = gitSync(repo, 'worktree', 'list');
      const r = await runCli(['run', ...args, '--repo', repo, '--quiet'], dir);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(await runsStored(), 0);
      assert.equal(gitSync(repo, 'branch', '--list', '--all'), branches);
      assert.equal(gitSync(repo, 'worktree', 'list'), worktrees);
    });
  }
});
