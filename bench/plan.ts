/**
 * Planning benchmark: generated documents of 10k and 100k tasks, planned in-process
 * (median time, heap kept by the plan) and by the whole CLI process (wall time, max RSS).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { buildPlan } from '../src/plan/build-plan.js';
import { generateRequirements } from './lib/generate-requirements.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const AIM_10K_MS = 300;
const AIM_10K_PROCESS_MS = 5000;

interface Case {
  label: string;
  tasks: number;
  items: number;
  runs: number;
}

const CASES: Case[] = [
  { label: '10k, 1 task per requirement', tasks: 10_000, items: 0, runs: 9 },
  { label: '10k, 5 items per requirement', tasks: 10_000, items: 5, runs: 9 },
  { label: '100k, 1 task per requirement', tasks: 100_000, items: 0, runs: 3 },
  { label: '100k, 5 items per requirement', tasks: 100_000, items: 5, runs: 3 },
];

// Heap figures need a full collection before each reading; --expose-gc can be turned on at run time.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

/** Plans `text` `runs` times in this process: median ms and the heap the last plan keeps alive. */
function inProcess(text: string, runs: number, expected: number): { ms: number; heapMb: string } {
  // Warm-up (JIT, caches); no forced GC between runs, which would shrink the young generation and time its regrowth.
  for (let i = 0; i < 2; i++) buildPlan({ requirements: { text, file: 'REQUIREMENTS.md' } });
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const plan = buildPlan({ requirements: { text, file: 'REQUIREMENTS.md' } });
    times.push(performance.now() - started);
    if (plan.tasks.length !== expected) throw new Error(`expected ${expected} tasks, got ${plan.tasks.length}`);
  }
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept = buildPlan({ requirements: { text, file: 'REQUIREMENTS.md' } });
  gc();
  const heapMb = mb(process.memoryUsage().heapUsed - before);
  if (kept.tasks.length !== expected) throw new Error('unreachable');
  return { ms: median(times), heapMb };
}

/** Runs `node dist/cli/main.js plan FILE --json > /dev/null`: wall ms and max RSS (MB). */
async function wholeProcess(file: string): Promise<{ ms: number; rssMb: string }> {
  const args = [CLI, 'plan', file, '--json'];
  const timeBin = '/usr/bin/time';
  if (existsSync(timeBin)) {
    const out = join(tmpdir(), `weft-bench-time-${process.pid}`);
    const started = performance.now();
    await run(timeBin, ['-f', '%M', '-o', out, process.execPath, ...args]);
    const ms = performance.now() - started;
    const kb = Number(readFileSync(out, 'utf8').trim().split('\n').at(-1));
    rmSync(out, { force: true });
    return { ms, rssMb: mb(kb * 1024) };
  }
  // No time(1): the child reports its own peak RSS on fd 3 as it exits.
  const hook = `data:text/javascript,${encodeURIComponent("import { writeSync } from 'node:fs'; process.on('exit', () => writeSync(3, String(process.resourceUsage().maxRSS)));")}`;
  const started = performance.now();
  const fd3 = await run(process.execPath, ['--import', hook, ...args]);
  return { ms: performance.now() - started, rssMb: mb(Number(fd3) * 1024) };
}

/** Spawns with stdout discarded; rejects on a non-zero exit; resolves with what the child wrote to fd 3. */
function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let fd3 = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => (fd3 += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(fd3) : reject(new Error(`${cmd} exited ${code}: ${stderr.trim()}`))));
  });
}

/** Builds dist/ when it is missing or older than src/, so the whole-process figures measure this code. */
function ensureBuilt(): boolean {
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
    }, 0);
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= newest(join(ROOT, 'src'))) return true;
  process.stdout.write('dist/ is missing or older than src/: building it (npm run build)...\n');
  spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  return existsSync(CLI);
}

const pad = (s: string, n: number) => s.padEnd(n);
const padL = (s: string, n: number) => s.padStart(n);

async function main(): Promise<void> {
  const built = ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-'));
  const rows: string[][] = [];
  let aim10k: number | undefined;
  let aim10kProcess: number | undefined;
  try {
    for (const c of CASES) {
      const text = generateRequirements({ tasks: c.tasks, itemsPerRequirement: c.items });
      const expected = Math.ceil(c.tasks / Math.max(1, c.items)) * Math.max(1, c.items);
      const inner = inProcess(text, c.runs, expected);
      let whole = { ms: NaN, rssMb: '-' };
      if (built) {
        const file = join(dir, `req-${c.tasks}-${c.items}.md`);
        writeFileSync(file, text);
        const samples = [];
        for (let i = 0; i < (c.tasks > 10_000 ? 1 : 3); i++) samples.push(await wholeProcess(file));
        whole = samples.sort((a, b) => a.ms - b.ms)[Math.floor(samples.length / 2)]!;
      }
      if (c.tasks === 10_000) {
        aim10k = Math.max(aim10k ?? 0, inner.ms);
        aim10kProcess = Math.max(aim10kProcess ?? 0, whole.ms);
      }
      rows.push([c.label, String(expected), `${(text.length / 1024 / 1024).toFixed(1)}`, inner.ms.toFixed(0), inner.heapMb, Number.isNaN(whole.ms) ? '-' : whole.ms.toFixed(0), whole.rssMb]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const head = ['document', 'tasks', 'MB', 'in-process ms (median)', 'heap MB', 'whole process ms', 'max RSS MB'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((x, i) => (i < 1 ? pad(x, widths[i]!) : padL(x, widths[i]!))).join('  ');
  process.stdout.write(`\nweft plan: ${process.version}, ${built ? 'whole process = node dist/cli/main.js plan FILE --json > /dev/null' : 'dist/ not built: whole process skipped'}\n\n`);
  process.stdout.write(`${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}\n\n`);
  const verdict = (ms: number | undefined, aim: number) => (ms === undefined || Number.isNaN(ms) ? 'SKIPPED' : ms < aim ? 'PASS' : 'MISS');
  process.stdout.write(`aim: 10k tasks in-process < ${AIM_10K_MS} ms: ${verdict(aim10k, AIM_10K_MS)} (slowest 10k median ${aim10k?.toFixed(0)} ms)\n`);
  process.stdout.write(`aim: 10k tasks whole process < ${AIM_10K_PROCESS_MS} ms: ${verdict(aim10kProcess, AIM_10K_PROCESS_MS)} (slowest ${aim10kProcess?.toFixed(0)} ms)\n`);
}

await main();
