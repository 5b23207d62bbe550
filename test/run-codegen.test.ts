import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const TOKEN = 'cg-secret-token-0123456789abcdef';
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A stand-in of Codegen's agent-run API: the first creation answers 429, task FAIL's run fails. */
function standIn() {
  const runs = new Map<number, { prompt: string; polls: number; fail: boolean }>();
  const times: number[] = [];
  let next = 1;
  let limited = false;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const send = (status: number, json: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(json));
      };
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { detail: 'bad token' });
      const create = /^\/v1\/organizations\/42\/agent\/run$/.exec(req.url ?? '');
      const poll = /^\/v1\/organizations\/42\/agent\/run\/(\d+)$/.exec(req.url ?? '');
      if (req.method === 'POST' && create) {
        times.push(Date.now());
        if (!limited) {
          limited = true;
          return send(429, { detail: 'slow down' }, { 'retry-after': '1' });
        }
        const { prompt, metadata } = JSON.parse(body) as { prompt: string; metadata: { weft_task_id?: string } };
        const id = next++;
        runs.set(id, { prompt, polls: 0, fail: metadata.weft_task_id === 'FAIL' });
        return send(200, { id, status: 'ACTIVE', web_url: `http://codegen.test/run/${id}` });
      }
      if (req.method === 'GET' && poll) {
        const id = Number(poll[1]);
        const run = runs.get(id);
        if (!run) return send(404, { detail: 'no such run' });
        run.polls++;
        if (run.polls < 2) return send(200, { id, status: 'running' });
        if (run.fail) return send(200, { id, status: 'FAILED', result: 'Could not find the payment module to change' });
        return send(200, { id, status: 'COMPLETE', result: `did run ${id}`, web_url: `http://codegen.test/run/${id}`, github_pull_requests: [{ url: `https://github.com/acme/shop/pull/${100 + id}` }] });
      }
      send(404, { detail: 'not found' });
    });
  });
  return { server, times, runs };
}

test('codegen backend end to end: 429 respected, PR URLs recorded, failures reported with the result, token never shown', { timeout: 90_000 }, async () => {
  const { server, times } = standIn();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const dir = mkdtempSync(join(tmpdir(), 'weft-codegen-run-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'REQUIREMENTS.md'), `# Shop\n\n## OK: Add a catalog\n\n## FAIL: Doomed payments change\nDepends on: OK\n`);
  const env = { ...process.env, CODEGEN_API_KEY: TOKEN, CODEGEN_ORG_ID: '42', CODEGEN_API_BASE_URL: `http://127.0.0.1:${port}`, WEFT_POLL_MS: '50' };
  const cli = (args: string[]) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const p = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(import.meta.dirname, '../src/cli/main.ts'), ...args], { cwd: dir, env });
      let out = '';
      let err = '';
      p.stdout.on('data', (c) => (out += c));
      p.stderr.on('data', (c) => (err += c));
      p.on('exit', (code) => resolve({ code, out, err }));
    });
  const run = await cli(['run', 'REQUIREMENTS.md', '--agent', 'codegen', '--max-attempts', '1', '--json']);
  server.close();
  assert.equal(run.code, 1, run.err);
  const status = JSON.parse(run.out) as { tasks: { id: string; status: string; prUrl: string | null; error: string | null }[] };
  const ok = status.tasks.find((t) => t.id === 'OK')!;
  const fail = status.tasks.find((t) => t.id === 'FAIL')!;
  assert.equal(ok.status, 'succeeded', JSON.stringify(ok));
  assert.match(ok.prUrl ?? '', /^https:\/\/github\.com\/acme\/shop\/pull\/\d+$/);
  assert.equal(fail.status, 'failed');
  assert.match(fail.error ?? '', /Could not find the payment module/);
  assert.ok(times.length >= 2 && times[1]! - times[0]! >= 900, `second creation waited for Retry-After (${times[1]! - times[0]!} ms)`);

  const report = await cli(['report']);
  const reportJson = await cli(['report', '--format', 'json']);
  const statusText = await cli(['status']);
  assert.match(report.out, /pull\/\d+/);
  const everything = [run.out, run.err, report.out, report.err, reportJson.out, statusText.out];
  const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
  for (const f of walk(join(dir, '.weft'))) everything.push(readFileSync(f, 'latin1'));
  for (const text of everything) assert.ok(!text.includes(TOKEN), 'the token appears in an output, report, log or the database');
});
