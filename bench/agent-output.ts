/**
 * An agent printing 100 MB (`WEFT_BENCH_MB`) with and without newlines, through the whole attempt
 * path (claude's stream-json line reader, redaction, capped task log): wall time and weft's peak RSS.
 * Each case runs in a fresh process, so one's heap does not colour the other's numbers.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeRepo, openIn, runDoc } from '../test/helpers/contain-fixtures.js';

const MB = 1024 * 1024;
const size = Number(process.env.WEFT_BENCH_MB ?? 100);
const mode = process.argv[2];

if (mode === 'newlines' || mode === 'one-line') {
  const root = mkdtempSync(join(tmpdir(), 'weft-bench-output-'));
  try {
    const repo = makeRepo(join(root, 'repo'));
    const unit = mode === 'newlines' ? `${'x'.repeat(1023)}\n` : 'x'.repeat(1024);
    writeFileSync(
      join(root, 'flood.cjs'),
      `const chunk = ${JSON.stringify(unit)}.repeat(64);
let left = ${size * MB} / chunk.length;
function more() {
  while (left > 0) { left--; if (!process.stdout.write(chunk)) return process.stdout.once('drain', more); }
  process.stdout.write('\\n');
  require('node:fs').writeFileSync('out.txt', 'done\\n');
}
more();
`,
    );
    const weft = await openIn(repo, `agents:\n  claude:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(join(root, 'flood.cjs'))}]\n`);
    const base = process.memoryUsage().rss;
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const started = Date.now();
    const { status } = await runDoc(weft, repo, '# Flood\n\n## A: Print a lot\n', 'claude');
    const ms = Date.now() - started;
    clearInterval(sampler);
    await weft.close();
    process.stdout.write(JSON.stringify({ mode, status, ms, peakRssMb: Math.round(peak / MB), baseRssMb: Math.round(base / MB) }) + '\n');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
} else {
  const self = fileURLToPath(import.meta.url);
  for (const m of ['newlines', 'one-line']) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', self, m], { encoding: 'utf8', env: process.env });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    const res = line.startsWith('{') ? (JSON.parse(line) as { ms: number; peakRssMb: number; baseRssMb: number; status: string }) : null;
    process.stdout.write(res ? `${size} MB ${m.padEnd(9)} ${String(res.ms).padStart(6)} ms  peak RSS ${res.peakRssMb} MB (at start ${res.baseRssMb} MB)  (${res.status})\n` : `${m}: failed\n${r.stderr}\n`);
  }
}
