/**
 * The verify command as a user meets it: checked once on the base branch (a failing base refuses the
 * run, with its output), `--allow-failing-baseline` judging attempts by new failures only, a task's own
 * `Verify:` line, and the verify output kept per attempt (status, report, the task's log).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { newFailures, VerifySignature } from '../src/core/verify-baseline.js';
import { openStore } from '../src/store/open-store.js';
import { gitSync, runWeft } from './helpers/run-cli.js';

let dir: string;
let repo: string;

const TESTS = `import { test } from 'node:test';
import assert from 'node:assert';
import { existsSync } from 'node:fs';
test('the bug is fixed', () => assert.ok(existsSync('FIXED.md'), 'FIXED.md is missing'));
test('nothing is broken', () => assert.ok(!existsSync('BROKEN.md'), 'BROKEN.md must not exist'));
`;
const AGENT = `import { writeFileSync } from 'node:fs';
writeFileSync(process.env.WEFT_TASK_ID + '.md', 'done\\n');
`;
const DOC = `# Tiny

## OTHER: Unrelated work
Estimate: 5m

Write OTHER.md.

## FIXED: Fix the bug
Depends on: OTHER

Write FIXED.md.

## BROKEN: Break something
Depends on: OTHER

Write BROKEN.md.
`;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-baseline-'));
  repo = join(dir, 'repo');
  gitSync(dir, 'init', '-q', '-b', 'main', repo);
  writeFileSync(join(repo, 'package.json'), JSON.stringify({ name: 'tiny', type: 'module', scripts: { test: 'node --test' } }));
  writeFileSync(join(repo, 'bug.test.js'), TESTS);
  writeFileSync(join(repo, 'gate.mjs'), "console.log('gate.mjs ran for ' + process.cwd().split('/').pop());\n");
  gitSync(repo, 'add', '-A');
  gitSync(repo, 'commit', '-q', '-m', 'init');
  writeFileSync(join(dir, 'agent.mjs'), AGENT);
  writeFileSync(join(dir, 'REQUIREMENTS.md'), DOC);
});
after(() => rmSync(dir, { recursive: true, force: true }));

// Under `node --test` this variable makes the repository's own `node --test` report to us instead of failing.
const NO_TEST_CONTEXT = { NODE_TEST_CONTEXT: undefined };
const agent = () => `node ${join(dir, 'agent.mjs')}`;

async function runCount(): Promise<number> {
  const db = join(dir, '.weft', 'weft.db');
  if (!existsSync(db)) return 0;
  const store = await openStore(db);
  try {
    return (await store.listRuns()).length;
  } finally {
    await store.close();
  }
}

describe('verify baseline', () => {
  it('same failure = same normalized failure lines (numbers, durations, the worktree path removed)', () => {
    const base = new VerifySignature('/w/base');
    base.push('not ok 1 - the bug is fixed (3.2ms)\n  at /w/base/bug.test.js:4:1\n# fail 1\nok 2 - nothing is broken\n');
    const same = new VerifySignature('/w/a1');
    same.push('not ok 1 - the bug is fixed (9ms)\n  at /w/a1/bug.test.js:4:1\n# fail 1\n');
    const worse = new VerifySignature('/w/a2');
    worse.push('not ok 1 - the bug is fixed\nnot ok 2 - nothing is broken\n# fail 2\n');
    const baseline = { command: 'npm test', passed: false, exitCode: 1, failures: base.lines() };
    assert.deepEqual(newFailures(baseline, same.lines()), []);
    assert.deepEqual(newFailures(baseline, worse.lines()), ['not ok # - nothing is broken']);
  });

  it('a verify that fails on the base refuses the run with its output: exit 2, nothing stored, no branch', async () => {
    const branches = gitSync(repo, 'branch', '--list');
    const r = await runWeft(['run', '--agent', agent(), '--repo', repo, '--verify', 'npm test', '--quiet'], { cwd: dir, env: NO_TEST_CONTEXT });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /weft: verify failed: npm test exited 1 on main before any task ran: fix the base branch, or pass --allow-failing-baseline/);
    assert.match(r.stderr, /not ok 1 - the bug is fixed/);
    assert.equal(await runCount(), 0);
    assert.equal(gitSync(repo, 'branch', '--list'), branches);
    assert.equal(gitSync(repo, 'worktree', 'list').split('\n').length, 1);
  });

  it('--allow-failing-baseline: the fixing task and an unrelated one succeed, a task that breaks a test fails; verify output kept', async () => {
    const r = await runWeft(['run', '--agent', agent(), '--repo', repo, '--verify', 'npm test', '--allow-failing-baseline', '--max-attempts', '1', '--quiet', '--json'], { cwd: dir, env: NO_TEST_CONTEXT });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /tasks are judged by new failures only/);
    const status = JSON.parse(r.stdout) as { run: { id: string }; tasks: { id: string; status: string; error: string | null; attempts: { verifyOutput: string | null }[] }[] };
    const byId = new Map(status.tasks.map((t) => [t.id, t]));
    assert.equal(byId.get('OTHER')!.status, 'succeeded');
    assert.match(byId.get('OTHER')!.attempts[0]!.verifyOutput!, /as it does on the base branch \(no new failures\): not counted against this task/);
    assert.equal(byId.get('FIXED')!.status, 'succeeded');
    assert.match(byId.get('FIXED')!.attempts[0]!.verifyOutput!, /# pass 2/);
    const broken = byId.get('BROKEN')!;
    assert.equal(broken.status, 'failed');
    assert.match(broken.error!, /with failures the base branch does not have: not ok # - nothing is broken/);
    assert.match(broken.attempts[0]!.verifyOutput!, /BROKEN\.md must not exist/);

    const text = await runWeft(['status', status.run.id], { cwd: dir, env: NO_TEST_CONTEXT });
    assert.match(text.stdout, /│ .*BROKEN\.md must not exist|│ .*# fail/);
    const report = await runWeft(['report', status.run.id], { cwd: dir, env: NO_TEST_CONTEXT });
    assert.match(report.stdout, /Verify output \(end\):/);
    const logs = join(dir, '.weft', 'logs', status.run.id);
    const log = readFileSync(join(logs, readdirSync(logs).find((f) => f === 'BROKEN.log')!), 'utf8');
    assert.match(log, /\[verify\] npm test/);
    assert.match(log, /not ok 2 - nothing is broken/);
  });

  it('a requirement\'s Verify: line replaces the run\'s --verify for its tasks', async () => {
    writeFileSync(join(dir, 'GATED.md'), '# G\n\n## OWN: Own gate\nVerify: node gate.mjs\n\nWrite OWN.md.\n\n## PLAIN: Run gate\n\nWrite PLAIN.md.\n');
    const r = await runWeft(['run', 'GATED.md', '--agent', agent(), '--repo', repo, '--verify', 'node --version', '--quiet', '--json'], { cwd: dir, env: NO_TEST_CONTEXT });
    assert.equal(r.code, 0, r.stderr);
    const status = JSON.parse(r.stdout) as { tasks: { id: string; attempts: { verifyOutput: string | null }[] }[] };
    const out = (id: string) => status.tasks.find((t) => t.id === id)!.attempts[0]!.verifyOutput!;
    assert.match(out('OWN'), /gate\.mjs ran for OWN-a1/);
    assert.match(out('PLAIN'), /^v\d+\./);
  });
});
