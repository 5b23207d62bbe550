/**
 * Detection after each attempt, without a sandbox: an agent that deletes a file of the user's checkout
 * through `../`, moves `main` or the integration branch with `git update-ref`, leaves a merge in
 * progress or conflict markers fails its attempt (category `violation` for what is not its own), with
 * what changed named, and nothing of it is integrated. A well-behaved agent next to them succeeds,
 * with the user's uncommitted work left as it was.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { git, makeRepo, openIn, runDoc } from './helpers/contain-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'weft-guard-'));
after(() => rmSync(root, { recursive: true, force: true }));

const AGENT = `
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const g = (...a) => execFileSync('git', ['-c', 'user.name=agent', '-c', 'user.email=a@a', ...a], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const id = process.env.WEFT_TASK_ID;
fs.writeFileSync(id + '.txt', 'work of ' + id + '\\n');
if (id === 'DEL') fs.rmSync('../../../notes.txt');
if (id === 'MAIN') { g('add', '-A'); g('commit', '-q', '-m', 'x'); g('update-ref', 'refs/heads/main', 'HEAD'); }
if (id === 'INTEG') { g('add', '-A'); g('commit', '-q', '-m', 'x'); g('update-ref', 'refs/heads/weft/run-' + process.env.WEFT_RUN_ID, 'HEAD'); }
if (id === 'MERGE') {
  fs.writeFileSync('shared.txt', 'mine\\n');
  g('add', '-A'); g('commit', '-q', '-m', 'mine');
  try { g('merge', '--no-edit', 'theirs'); } catch {}
}
if (id === 'MARK') fs.writeFileSync('half.txt', '<<<<<<< HEAD\\na\\n=======\\nb\\n>>>>>>> other\\n');
console.log('done ' + id);
`;

const DOC = ['# Guard', '', '## DEL: Delete outside', '', '## MAIN: Move main', '', '## INTEG: Move the integration branch', '', '## MERGE: Leave a merge', '', '## MARK: Leave markers', '', '## OK: Behave', ''].join('\n');

test('violations fail the attempt and name what changed; nothing of them is integrated', { timeout: 120_000 }, async () => {
  const repo = makeRepo(join(root, 'repo'));
  writeFileSync(join(repo, 'notes.txt'), 'the user\'s notes\n');
  writeFileSync(join(repo, 'shared.txt'), 'base\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'notes');
  // A branch that conflicts with what MERGE writes.
  git(repo, 'branch', 'theirs');
  git(repo, 'checkout', '-q', 'theirs');
  writeFileSync(join(repo, 'shared.txt'), 'theirs\n');
  git(repo, 'commit', '-q', '-am', 'theirs');
  git(repo, 'checkout', '-q', 'main');
  // The user's uncommitted work, which weft must leave alone (and not mistake for the agents').
  writeFileSync(join(repo, 'README.md'), '# app\nwork in progress\n');
  writeFileSync(join(root, 'agent.cjs'), AGENT);
  const mainBefore = git(repo, 'rev-parse', 'main');
  // Worktrees inside the checkout, so that `../../../notes.txt` from one is the user's file.
  const weft = await openIn(repo, `git: { worktreesDir: .worktrees }\nagents:\n  bad: { command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(join(root, 'agent.cjs'))}] }\n`);
  try {
    // One at a time: a change to shared refs is blamed on every attempt running when it happened.
    const { runId, counts } = await runDoc(weft, repo, DOC, 'bad', { concurrency: 1 });
    assert.equal(counts.succeeded, 1, JSON.stringify(counts));
    const attempt = async (id: string) => (await weft.store.listAttempts(runId, id))[0]!;

    const del = await attempt('DEL');
    assert.equal(del.status, 'failed');
    assert.equal(del.errorCategory, 'violation');
    assert.match(del.error ?? '', /notes\.txt in the checkout was deleted/);

    const main = await attempt('MAIN');
    assert.equal(main.errorCategory, 'violation');
    assert.match(main.error ?? '', /branch main moved/);

    const integ = await attempt('INTEG');
    assert.equal(integ.errorCategory, 'violation');
    assert.match(integ.error ?? '', new RegExp(`branch weft/run-${runId} moved`));

    const merge = await attempt('MERGE');
    assert.equal(merge.status, 'failed');
    assert.match(merge.error ?? '', /left a merge in progress/);

    const mark = await attempt('MARK');
    assert.equal(mark.status, 'failed');
    assert.match(mark.error ?? '', /conflict markers left in: half\.txt/);

    assert.equal((await attempt('OK')).status, 'succeeded');
    assert.equal(readFileSync(join(repo, 'README.md'), 'utf8'), '# app\nwork in progress\n', "the user's uncommitted work is untouched");
    // Only OK's work reached the integration branch.
    const integrated = git(repo, 'ls-tree', '--name-only', `weft/run-${runId}`).split('\n');
    assert.ok(integrated.includes('OK.txt'));
    for (const f of ['DEL.txt', 'MERGE.txt', 'MARK.txt', 'half.txt', 'INTEG.txt', 'MAIN.txt']) assert.ok(!integrated.includes(f), `${f} was integrated`);
    assert.equal(git(repo, 'show', `weft/run-${runId}:shared.txt`), 'base');
    assert.notEqual(git(repo, 'rev-parse', 'main'), mainBefore, 'MAIN did move main (weft reports it, it does not undo it)');
  } finally {
    await weft.close();
  }
});
