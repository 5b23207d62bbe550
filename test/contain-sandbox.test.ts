/**
 * `sandbox: bwrap`, for real: the agent can work and commit in its worktree, but cannot delete the
 * user's file through `../`, move `main`, or write outside; /tmp is private; network is on by default
 * and off on request. Skipped, saying why, where bubblewrap cannot make a sandbox.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { checkBwrap } from '../src/agents/sandbox.js';
import { git, makeRepo, openIn, runDoc } from './helpers/contain-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'weft-sandbox-'));
let server: Server;
let port = 0;
const unavailable = await checkBwrap().then(() => null, (err: Error) => err.message);
if (unavailable) process.stderr.write(`contain-sandbox: skipped: ${unavailable}\n`);

before(async () => {
  server = createServer((_req, res) => res.end('pong'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
after(async () => {
  await new Promise((r) => server.close(r));
  rmSync(root, { recursive: true, force: true });
});

const PROBE = join(tmpdir(), `weft-sandbox-probe-${process.pid}`);
const HOME_PROBE = join(homedir(), `weft-sandbox-probe-${process.pid}`);

const AGENT = `
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const id = process.env.WEFT_TASK_ID;
const tryIt = (f) => { try { f(); return 'done'; } catch (e) { return 'refused: ' + (e.code || e.message).toString().slice(0, 80); } };
const g = (...a) => execFileSync('git', ['-c', 'user.name=agent', '-c', 'user.email=a@a', ...a], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const result = {
  rmOutside: tryIt(() => fs.rmSync('../../../notes.txt')),
  moveMain: tryIt(() => g('update-ref', 'refs/heads/main', 'HEAD')),
  writeHome: tryIt(() => fs.writeFileSync(${JSON.stringify(HOME_PROBE)}, 'x')),
  writeTmp: tryIt(() => fs.writeFileSync(${JSON.stringify(PROBE)}, 'x')),
};
const req = http.get('http://127.0.0.1:' + process.env.PROBE_PORT + '/', (res) => { result.network = 'reached'; res.resume(); res.on('end', finish); });
req.on('error', (e) => { result.network = 'unreachable: ' + e.code; finish(); });
function finish() {
  fs.writeFileSync('result-' + id + '.json', JSON.stringify(result));
  result.commit = tryIt(() => { g('add', '-A'); g('commit', '-q', '-m', 'agent work for ' + id); });
  fs.writeFileSync('commit-' + id + '.txt', result.commit + '\\n');
  console.log(JSON.stringify(result));
}
`;

test('an agent under bwrap works in its worktree and cannot touch anything else', { skip: unavailable ?? false, timeout: 120_000 }, async () => {
  const repo = makeRepo(join(root, 'repo'));
  writeFileSync(join(repo, 'notes.txt'), "the user's notes\n");
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'notes');
  const mainBefore = git(repo, 'rev-parse', 'main');
  writeFileSync(join(root, 'agent.cjs'), AGENT);
  const cmd = `[${JSON.stringify(process.execPath)}, ${JSON.stringify(join(root, 'agent.cjs'))}]`;
  const weft = await openIn(
    repo,
    [
      'git: { worktreesDir: .worktrees }',
      'agents:',
      `  boxed: { command: ${cmd}, sandbox: bwrap, env: { PROBE_PORT: "${port}" } }`,
      `  offline: { command: ${cmd}, sandbox: bwrap, network: false, env: { PROBE_PORT: "${port}" } }`,
      '',
    ].join('\n'),
  );
  try {
    const doc = '# Boxed\n\n## ON: Network on\n\n## OFF: Network off\nAgent: offline\n';
    const { runId, status, counts } = await runDoc(weft, repo, doc, 'boxed');
    assert.equal(status, 'succeeded', JSON.stringify(counts) + JSON.stringify((await weft.store.listAttempts(runId, 'ON')).map((a) => [a.error, a.output])));
    const read = (id: string) => JSON.parse(git(repo, 'show', `weft/run-${runId}:result-${id}.json`)) as Record<string, string>;
    const on = read('ON');
    const off = read('OFF');
    for (const r of [on, off]) {
      assert.match(r.rmOutside!, /^refused/, 'the user file through ../');
      assert.match(r.moveMain!, /^refused/, 'main');
      assert.match(r.writeHome!, /^refused/, 'HOME');
      assert.equal(r.writeTmp, 'done', 'a private /tmp is writable');
    }
    assert.equal(on.network, 'reached');
    assert.match(off.network!, /^unreachable/);
    // git commit works inside the sandbox: the agent's own commit is what got integrated.
    assert.equal(git(repo, 'show', `weft/run-${runId}:commit-ON.txt`), 'done');
    assert.match(git(repo, 'log', '--format=%s', `weft/run-${runId}`), /agent work for ON/);
    assert.ok(existsSync(join(repo, 'notes.txt')));
    assert.equal(readFileSync(join(repo, 'notes.txt'), 'utf8'), "the user's notes\n");
    assert.equal(git(repo, 'rev-parse', 'main'), mainBefore);
    assert.ok(!existsSync(PROBE), "the sandbox's /tmp is its own");
    assert.ok(!existsSync(HOME_PROBE));
  } finally {
    await weft.close();
    rmSync(PROBE, { force: true });
    rmSync(HOME_PROBE, { force: true });
  }
});
