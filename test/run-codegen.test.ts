/** `weft run --agent codegen` end to end against a stand-in that follows Codegen's published API. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startCodegenStandIn } from './helpers/codegen-stand-in.js';

const TOKEN = 'cg-secret-token-0123456789abcdef';
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

test('codegen end to end: lower-case statuses, documented limits respected, a lost creation answer costs no second run, PRs recorded, token never shown', { timeout: 120_000 }, async () => {
  // The documented limits: 10 creations a minute, 60 reads per 30 s, 429 without Retry-After beyond them.
  const s = await startCodegenStandIn({
    token: TOKEN,
    org: '42',
    script: (run) => (run.metadata.weft_task_id === 'FAIL' ? ['pending', 'failed'] : ['active', 'running', 'completed']),
    result: (run) => (run.metadata.weft_task_id === 'FAIL' ? 'Could not find the payment module to change' : `did run ${run.id}`),
  });
  s.state.loseNextCreate = true;
  const dir = mkdtempSync(join(tmpdir(), 'weft-codegen-run-'));
  dirs.push(dir);
  writeFileSync(
    join(dir, 'REQUIREMENTS.md'),
    `# Shop\n\n## OK: Add a catalog\n\n## CART: Add a cart\n\n## SEARCH: Add search\n\n## FAIL: Doomed payments change\nDepends on: OK\n`,
  );
  const env = { ...process.env, CODEGEN_API_KEY: TOKEN, CODEGEN_ORG_ID: '42', CODEGEN_API_BASE_URL: s.url, WEFT_POLL_MS: '50' };
  const cli = (args: string[]) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const p = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(import.meta.dirname, '../src/cli/main.ts'), ...args], { cwd: dir, env });
      let out = '';
      let err = '';
      p.stdout.on('data', (c) => (out += c));
      p.stderr.on('data', (c) => (err += c));
      p.on('exit', (code) => resolve({ code, out, err }));
    });
  const run = await cli(['run', 'REQUIREMENTS.md', '--agent', 'codegen', '--max-attempts', '2', '--concurrency', '4', '--json']);
  await s.close();
  assert.equal(run.code, 1, run.err);
  type Status = { tasks: { id: string; status: string; prUrl: string | null; error: string | null; attempts: { usage: { sessionId?: string } | null }[] }[] };
  const status = JSON.parse(run.out) as Status;
  const byId = new Map(status.tasks.map((t) => [t.id, t]));
  for (const id of ['OK', 'CART', 'SEARCH']) {
    const t = byId.get(id)!;
    assert.equal(t.status, 'succeeded', JSON.stringify(t));
    assert.match(t.prUrl ?? '', /^https:\/\/github\.com\/acme\/shop\/pull\/\d+$/);
  }
  const fail = byId.get('FAIL')!;
  assert.equal(fail.status, 'failed');
  assert.match(fail.error ?? '', /Could not find the payment module/);

  // No paid run twice: one creation per attempt, every run's tags unique, although one answer was lost.
  assert.equal(s.state.lostCreates, 1);
  const attempts = status.tasks.reduce((n, t) => n + t.attempts.length, 0);
  assert.equal(s.creates.length, attempts, `${s.creates.length} runs created for ${attempts} attempts`);
  const tags = [...s.runs.values()].map((r) => `${String(r.metadata.weft_task_id)}#${String(r.metadata.weft_attempt)}`);
  assert.equal(new Set(tags).size, tags.length, tags.join(', '));
  // Every attempt names its Codegen run.
  assert.ok(status.tasks.flatMap((t) => t.attempts).every((a) => a.usage?.sessionId), 'each attempt keeps its codegen run id');
  // The limits were respected: nothing was refused.
  assert.equal(s.state.create429, 0);
  assert.equal(s.state.read429, 0);
  assert.ok(s.peakReads() <= 60);
  assert.ok(s.state.listCalls >= 1, 'concurrent runs were polled with the list call');

  const report = await cli(['report']);
  const reportJson = await cli(['report', '--format', 'json']);
  const statusText = await cli(['status']);
  assert.match(report.out, /pull\/\d+/);
  const everything = [run.out, run.err, report.out, report.err, reportJson.out, statusText.out];
  const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
  for (const f of walk(join(dir, '.weft'))) everything.push(readFileSync(f, 'latin1'));
  for (const text of everything) assert.ok(!text.includes(TOKEN), 'the token appears in an output, report, log or the database');
});
