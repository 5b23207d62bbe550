/** Bounded output: an agent printing megabytes without a newline keeps weft's memory bounded, and the task log is capped (head and tail kept, the cut said). */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { makeRepo, openIn, runDoc } from './helpers/contain-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'weft-output-'));
after(() => rmSync(root, { recursive: true, force: true }));

const MB = 1024 * 1024;

test('20 MB without a newline: bounded memory, capped log with head and tail', { timeout: 120_000 }, async () => {
  const repo = makeRepo(join(root, 'repo'));
  // The claude preset's stream-json reader sees every stdout line: the long line goes through it too.
  writeFileSync(
    join(root, 'flood.cjs'),
    `const chunk = 'x'.repeat(64 * 1024);
process.stdout.write('HEAD-MARK ');
let left = ${20 * MB} / chunk.length;
function more() {
  while (left > 0) { left--; if (!process.stdout.write(chunk)) return process.stdout.once('drain', more); }
  process.stdout.write(' TAIL-MARK\\n');
  require('node:fs').writeFileSync('out.txt', 'done\\n');
}
more();
`,
  );
  const weft = await openIn(
    repo,
    `agents:\n  claude:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(join(root, 'flood.cjs'))}]\nlogs: { taskMaxBytes: ${MB} }\n`,
  );
  try {
    const base = process.memoryUsage().rss;
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    const { runId, status } = await runDoc(weft, repo, '# Flood\n\n## A: Print a lot\n', 'claude');
    clearInterval(sampler);
    assert.equal(status, 'succeeded');
    assert.ok(peak - base < 200 * MB, `memory grew by ${Math.round((peak - base) / MB)} MB`);
    const dir = join(repo, '.weft', 'logs', runId);
    const log = join(dir, readdirSync(dir).find((f) => f.startsWith('A') && f.endsWith('.log'))!);
    const size = statSync(log).size;
    assert.ok(size <= MB + 4096, `log is ${size} bytes`);
    const text = readFileSync(log, 'utf8');
    assert.match(text.slice(0, 100), /HEAD-MARK/);
    assert.match(text.slice(-100), /TAIL-MARK/);
    assert.match(text, /\[weft: \d+ characters cut here: the log is capped at logs\.taskMaxBytes/);
  } finally {
    await weft.close();
  }
});
