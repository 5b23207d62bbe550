/**
 * The package as a user gets it: `npm pack` (which builds dist/ and web/dist/ through `prepare`), the
 * tarball installed into an empty project (dependencies from the registry or the npm cache), then the
 * installed `weft` run from an unrelated directory and the library imported by its package name.
 * Slow (a fresh install compiles better-sqlite3): one test, a generous timeout.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readmeLibraryExample } from './helpers/readme.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const full: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...env };
  delete full.WEFT_DB;
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: full, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

it('npm pack → install the tarball into an empty project → weft --version, weft demo, import by name', { timeout: 20 * 60_000 }, async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'weft-pack-'));
  try {
    const packed = await run('npm', ['pack', '--json', '--pack-destination', tmp], ROOT);
    assert.equal(packed.code, 0, packed.stderr);
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as [{ filename: string; files: { path: string }[] }];
    const files = new Set(info.files.map((f) => f.path));
    for (const f of ['dist/cli/main.js', 'dist/index.js', 'dist/index.d.ts', 'web/dist/index.html', 'templates/prompts/feature.liquid', 'templates/init/STRUCTURE.md', 'examples/shop/REQUIREMENTS.md', 'examples/agent/example-agent.mjs']) {
      assert.ok(files.has(f), `the tarball has ${f}`);
    }
    assert.ok(![...files].some((f) => f.startsWith('src/') || f.startsWith('test/')), 'no sources or tests in the tarball');

    const project = join(tmp, 'project');
    const elsewhere = join(tmp, 'elsewhere');
    await run('mkdir', ['-p', project, elsewhere], tmp);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'someone-elses-project', private: true, type: 'module' }));
    const installed = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(tmp, info.filename)], project);
    assert.equal(installed.code, 0, installed.stderr);

    const bin = join(project, 'node_modules', '.bin', 'weft');
    const version = await run(bin, ['--version'], elsewhere);
    assert.equal(version.stdout.trim(), pkg.version);
    const demo = await run(bin, ['demo', '--dir', join(elsewhere, 'demo')], elsewhere);
    assert.equal(demo.code, 0, demo.stderr);
    assert.match(demo.stdout, /The base branch `main` is unchanged/);
    assert.ok(existsSync(join(elsewhere, 'demo', '.weft', 'weft.db')));

    // The library by its package name, as `node -e "import('NAME')…"` and as the README's example.
    const imported = await run(process.execPath, ['-e', `import('${pkg.name}').then((m) => console.log(Object.keys(m).sort().join(',')))`], project);
    assert.equal(imported.code, 0, imported.stderr);
    for (const name of ['openWeft', 'openStore', 'planDocument', 'createPromptGenerator', 'createCodegenClient', 'createPRTracker', 'createCompleteIntegration']) {
      assert.ok(imported.stdout.trim().split(',').includes(name), `exports ${name}`);
    }
    await writeFile(join(project, 'example.mjs'), readmeLibraryExample(await readFile(join(ROOT, 'README.md'), 'utf8')));
    const example = await run(process.execPath, ['example.mjs'], project);
    assert.equal(example.code, 0, example.stderr);
    assert.match(example.stdout, /succeeded/);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});
