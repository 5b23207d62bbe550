import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createCodeContext, createFsSourceTree, createGitSourceTree, languageOf, outlineSource } from '../src/context/index.js';
import type { TaskSpec } from '../src/core/task.js';
import { runWeft } from './helpers/run-cli.js';

const FILES: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'shop', type: 'module', scripts: { test: 'node --test' }, dependencies: { fastify: '^5.0.0' } }),
  'src/catalog/product.ts': `import { money, type Cents } from '../util/money.js';
/** A product. */
export interface Product { sku: string; name: string; price: Cents }
export function formatProduct(p: Product): string {
  return p.name + ' ' + money(p.price);
}
`,
  'src/util/money.ts': `export type Cents = number;
export function money(cents: Cents, currency = 'EUR'): string {
  return (cents / 100).toFixed(2) + ' ' + currency;
}
export const ZERO: Cents = 0;
`,
  'src/api/products-route.ts': `import { formatProduct, type Product } from '../catalog/product.js';
export class ProductsRoute {
  constructor(private readonly products: Product[]) {}
  list(limit: number): string[] {
    return this.products.slice(0, limit).map(formatProduct);
  }
}
`,
  'src/catalog/stock.ts': `export async function reserveStock(sku: string, count: number): Promise<boolean> {
  return count > 0 && sku !== '';
}
`,
  'src/unrelated/report.ts': `export function yearlyReport(): string { return 'nothing'; }
`,
  'tools/build.py': `from .helpers import clean
class Builder:
    def run(self, target: str) -> int:
        return 0
def main(argv: list[str]) -> None:
    Builder().run(argv[0])
`,
};

const REQUIREMENTS = `# Shop

## PRICE: Show prices with currency
Files: src/catalog/product.ts

Products print their price with the currency.

## Unrelated docs
Type: docs

Write the README.
`;

let dir: string;

function git(args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weft-context-'));
  for (const [path, text] of Object.entries(FILES)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  await writeFile(join(dir, 'REQUIREMENTS.md'), REQUIREMENTS);
  git(['init', '-q', '-b', 'main']);
  git(['add', '.']);
  git(['commit', '-q', '-m', 'init']);
});
after(() => rm(dir, { recursive: true, force: true }));

function task(partial: Partial<TaskSpec>): TaskSpec {
  return {
    id: 't', title: '', description: '', type: 'feature', typeReason: '', priority: 'medium', status: 'pending', dependsOn: [],
    estimateMinutes: 60, files: [], acceptanceCriteria: [], requirementId: 't', requirementTitle: '', source: { file: 'R.md', line: 1 }, ...partial,
  };
}

const ALL_ON = { includeFileStructure: true, includeRelatedFiles: true, includeCodeExamples: true, includeDependencies: true, maxChars: 24_000 };

describe('outlines', () => {
  it('reads TypeScript signatures without bodies', async () => {
    const o = await outlineSource(languageOf('x.ts')!, FILES['src/api/products-route.ts']!);
    assert.deepEqual(o.definitions.map((d) => d.signature), ['export class ProductsRoute']);
    assert.deepEqual(o.definitions[0]!.members.map((m) => m.signature), ['constructor(private readonly products: Product[])', 'list(limit: number): string[]']);
  });

  it('reads Python classes and functions', async () => {
    const o = await outlineSource(languageOf('x.py')!, FILES['tools/build.py']!);
    assert.deepEqual(o.definitions.map((d) => d.signature), ['class Builder', 'def main(argv: list[str]) -> None']);
    assert.deepEqual(o.definitions[0]!.members.map((m) => m.signature), ['def run(self, target: str) -> int']);
  });
});

describe('code context', () => {
  it("maps the task's file, what it imports and what imports it, ranked, with the manifest", async () => {
    const ctx = await createCodeContext(ALL_ON).forTask(task({ title: 'Show prices', files: ['src/catalog/product.ts'] }), createFsSourceTree(dir));
    const order = ctx.repoMap.split('\n').filter((l) => !l.startsWith(' '));
    assert.deepEqual(order.slice(0, 3), ['src/catalog/product.ts (to change)', 'src/util/money.ts (imported by a file to change)', 'src/api/products-route.ts (imports a file to change)']);
    assert.ok(order.includes('src/catalog/stock.ts (same folder)'));
    assert.ok(!ctx.repoMap.includes('yearlyReport'), 'an unrelated file stays out');
    assert.match(ctx.repoMap, /^ {2}export function money\(cents: Cents, currency = 'EUR'\): string$/m);
    assert.match(ctx.repoMap, /^ {4}list\(limit: number\): string\[\]$/m);
    assert.deepEqual(ctx.relatedFiles.map((f) => f.path).slice(0, 1), ['src/catalog/product.ts']);
    assert.match(ctx.manifest, /dependencies: fastify \^5\.0\.0/);
  });

  it('reads a git ref, not the working tree', async () => {
    await writeFile(join(dir, 'src/util/money.ts'), 'export function changedOnDisk(): void {}\n');
    try {
      const ctx = await createCodeContext(ALL_ON).forTask(task({ files: ['src/catalog/product.ts'] }), createGitSourceTree(dir, 'main'));
      assert.match(ctx.repoMap, /export function money/);
      assert.doesNotMatch(ctx.repoMap, /changedOnDisk/);
    } finally {
      git(['checkout', '--', 'src/util/money.ts']);
    }
  });

  it('stays within its share of a small budget', async () => {
    const ctx = await createCodeContext({ ...ALL_ON, maxChars: 1200 }).forTask(task({ files: ['src/catalog/product.ts'] }), createFsSourceTree(dir));
    assert.ok(ctx.repoMap.length <= 300, `${ctx.repoMap.length}`);
    assert.ok(ctx.relatedFiles.reduce((n, f) => n + f.content.length, 0) <= 360);
  });
});

describe('weft prompt with code context', () => {
  it("shows the task's neighbours' signatures and the related files", async () => {
    const r = await runWeft(['prompt', 'REQUIREMENTS.md', 'PRICE'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /## Repository map/);
    assert.match(r.stdout, /src\/api\/products-route\.ts \(imports a file to change\)\n {2}export class ProductsRoute\n {4}constructor\(.*\)\n {4}list\(limit: number\): string\[\]/);
    assert.match(r.stdout, /### `src\/catalog\/product\.ts` \(touched\)\n\n```ts\nimport \{ money/);
    assert.match(r.stdout, /## Project dependencies/);
  });

  it('leaves parts out when the config switches them off, and the best-practice steps with them', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'weft-context-cfg-'));
    try {
      await writeFile(
        join(cwd, 'weft.config.yaml'),
        'prompt: { includeFileStructure: false, includeRelatedFiles: false, includeDependencies: true, includeCodeExamples: false, enhanceWithBestPractices: false, maxContextSize: 9000 }\n',
      );
      const r = await runWeft(['prompt', join(dir, 'REQUIREMENTS.md'), 'PRICE', '--repo', dir], { cwd });
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /## Repository map|## Related files|## How to build this feature/);
      assert.match(r.stdout, /## Project dependencies/);
      assert.ok(r.stdout.length <= 9000);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it('trims the code context first when the budget is tight', async () => {
    const r = await runWeft(['prompt', 'REQUIREMENTS.md', 'PRICE', '--max-chars', '2600'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.length <= 2600, `${r.stdout.length}`);
    assert.match(r.stdout, /Products print their price with the currency\./);
  });
});

describe('weft run with code context', () => {
  it("gives the agent the repository map read from the run's integration branch", async () => {
    const agent = join(dir, '..', `${dir.split('/').pop()}-agent.mjs`);
    await writeFile(
      agent,
      `import { copyFileSync } from 'node:fs';\ncopyFileSync(process.env.WEFT_PROMPT_FILE, 'prompt-' + process.env.WEFT_TASK_ID + '.md');\n`,
    );
    try {
      const r = await runWeft(['run', 'REQUIREMENTS.md', '--agent', `${process.execPath} ${agent}`, '--repo', '.', '--json', '--quiet'], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      const status = JSON.parse(r.stdout) as { run: { branch: string } };
      const prompt = git(['show', `${status.run.branch}:prompt-PRICE.md`]);
      assert.match(prompt, /## Repository map[\s\S]*src\/util\/money\.ts \(imported by a file to change\)/);
    } finally {
      await rm(agent, { force: true });
    }
  });
});
