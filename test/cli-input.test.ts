import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

let dir: string;

/** The real CLI in `dir`, optionally piped into `head -1` (a shell pipeline; the exit code is weft's). */
function weft(args: string[], opts: { env?: Record<string, string>; head?: boolean } = {}): Promise<Result> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...opts.env };
  if (opts.env?.WEFT_DB === undefined) delete env.WEFT_DB;
  const argv = [process.execPath, '--import', TSX, MAIN, ...args];
  const [file, list] = opts.head
    ? ['bash', ['-c', `set -o pipefail; "$@" | head -1`, 'weft', ...argv]]
    : [argv[0]!, argv.slice(1)];
  return new Promise((resolve) => {
    execFile(file, list, { cwd: dir, env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weft-cli-input-'));
  const sections = Array.from({ length: 800 }, (_, i) => `## R${i}: Requirement ${i}\nDo thing ${i}.\n`).join('\n');
  await writeFile(join(dir, 'BIG.md'), `# Big\n\n${sections}`);
  await writeFile(join(dir, 'SMALL.md'), '# Small\n\n## A: One\nDo a.\n\n## B: Two\nDepends on: A\n\nDo b.\n');
});
after(() => rm(dir, { recursive: true, force: true }));

describe('pipes', () => {
  it('weft plan | head -1 ends quietly with exit 0', async () => {
    const r = await weft(['plan', 'BIG.md'], { head: true });
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    assert.equal(r.stdout.split('\n').filter(Boolean).length, 1);
  });

  it('weft status and weft report | head -1 end quietly with exit 0', async () => {
    const db = join(dir, 'big.db');
    const run = await weft(['run', 'BIG.md', '--agent', 'simulate', '--db', db, '--concurrency', '64', '--quiet'], { env: { WEFT_SIM_SCALE: '0' } });
    assert.equal(run.code, 0, run.stderr);
    for (const cmd of ['status', 'report']) {
      const r = await weft([cmd, '--db', db], { head: true });
      assert.equal(r.stderr, '', cmd);
      assert.equal(r.code, 0, cmd);
    }
  });
});

describe('bad input names the place (exit 2)', () => {
  it('a binary requirements file', async () => {
    await writeFile(join(dir, 'random.md'), randomBytes(20 * 1024 * 1024));
    const r = await weft(['plan', 'random.md']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /random\.md:\d+: not a text file/);
  });

  it('an unknown key right under a heading', async () => {
    await writeFile(join(dir, 'typo.md'), '# T\n\n## A: One\nDo a.\n\n## B: Two\nBlocked by: A\n\nDo b.\n');
    const r = await weft(['plan', 'typo.md']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /typo\.md:7: unknown metadata key "Blocked by:" \(did you mean "Depends on:"\?\)/);
  });

  it('WEFT_DB set but empty', async () => {
    const r = await weft(['runs'], { env: { WEFT_DB: '' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /WEFT_DB is set but empty/);
  });

  it('WEFT_API_TOKEN set but blank', async () => {
    const r = await weft(['serve', '--port', '0', '--db', join(dir, 'serve.db')], { env: { WEFT_API_TOKEN: '  ' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /WEFT_API_TOKEN is set but empty/);
  });

  it('read-only commands with a mistyped --db create nothing', async () => {
    const before = await readdir(dir);
    for (const cmd of [['status'], ['runs'], ['report'], ['stats'], ['prs'], ['prs', 'stats']]) {
      const r = await weft([...cmd, '--db', join(dir, 'typo', 'weft.db')]);
      assert.equal(r.code, 2, cmd.join(' '));
      assert.match(r.stderr, /no weft database at/);
    }
    assert.equal(existsSync(join(dir, 'typo')), false);
    assert.deepEqual(await readdir(dir), before);
  });
});
