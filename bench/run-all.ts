/** `npm run bench`: runs every bench/*.ts (except this one) in turn, each in its own process. */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = fileURLToPath(new URL('.', import.meta.url));
const SELF = 'run-all.ts';

/** Runs one benchmark file with tsx; resolves with its exit code. */
function runBench(file: string): Promise<number> {
  return new Promise((resolve) => {
    // A fresh process per benchmark: one's heap and JIT state must not colour the next one's numbers.
    const child = spawn(process.execPath, ['--import', 'tsx', join(DIR, file)], { stdio: 'inherit', cwd: join(DIR, '..') });
    child.on('error', () => resolve(1));
    child.on('close', (code) => resolve(code ?? 1));
  });
}

const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.ts') && f !== SELF)
  .sort();
const failed: string[] = [];
for (const file of files) {
  process.stdout.write(`\n=== bench/${file}\n`);
  if ((await runBench(file)) !== 0) failed.push(file);
}
process.stdout.write(`\n${files.length - failed.length} of ${files.length} benchmarks ran${failed.length ? `; failed: ${failed.join(', ')}` : ''}\n`);
process.exitCode = failed.length ? 1 : 0;
