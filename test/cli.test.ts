import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openStore } from '../src/store/open-store.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
// The child runs in a temp dir, where a bare `tsx` would not resolve.
const TSX = import.meta.resolve('tsx');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

let dir: string;
/** REQUIREMENTS.md written once: tests run concurrently and must not rewrite a file another one reads. */
let req: string;

/** Runs the real CLI in the temp dir, without the caller's WEFT_DB or colours. */
function weft(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<Result> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...opts.env };
  if (!opts.env?.WEFT_DB) delete env.WEFT_DB;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', TSX, MAIN, ...args], { cwd: opts.cwd ?? dir, env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const REQUIREMENTS = `# Recipe Box

A web app for saving and sharing recipes.

## DB: Database schema
Type: interface
Priority: high
Files: src/db/**
Estimate: 3h

- [x] Users table
- [ ] Recipes table (30m)
- [ ] Ingredients table

### Acceptance criteria
- Migrations are reversible

## User accounts
Depends on: database schema

Sign-up and login.

## Login fails on uppercase email
Depends on: user accounts

Users with an uppercase email cannot log in; the lookup crashes.
`;

let planJson: Promise<Result> | undefined;
/** `weft plan REQUIREMENTS.md --json`, run once and shared by the tests that compare against it. */
function planOfReq(): Promise<Result> {
  planJson ??= weft(['plan', req, '--json']);
  return planJson;
}

/** Writes a file into the temp dir and returns its absolute path. */
async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weft-cli-'));
  req = await file('REQUIREMENTS.md', REQUIREMENTS);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Each spawn costs about a second of module loading, so the tests run side by side and spawn sparingly
// (unknown ids, unknown tasks and the like are covered in-process by plan.test.ts and prompt.test.ts).
describe('weft CLI', { concurrency: true }, () => {
  describe('weft plan', { concurrency: true }, () => {
    it('--json prints every field of every task', async () => {
      const r = await planOfReq();
      assert.equal(r.code, 0, r.stderr);
      const plan = JSON.parse(r.stdout);
      assert.equal(plan.title, 'Recipe Box');
      assert.deepEqual(plan.tasks.map((t: { id: string }) => t.id), ['DB.1', 'DB.2', 'DB.3', 'user-accounts', 'login-fails-on-uppercase-email']);
      assert.deepEqual(plan.tasks[0], {
        id: 'DB.1',
        title: 'Users table',
        type: 'interface',
        priority: 'high',
        status: 'done',
        dependsOn: [],
        estimateMinutes: 90,
        phase: null,
        slackMinutes: 0,
        critical: false,
        files: ['src/db/**'],
        requirementId: 'DB',
        acceptanceCriteria: ['Migrations are reversible'],
        source: { file: req, line: 11 },
      });
      const [, recipes, ingredients, accounts, bug] = plan.tasks;
      assert.deepEqual(
        [recipes.status, recipes.estimateMinutes, recipes.phase, recipes.slackMinutes, recipes.critical],
        ['pending', 30, 1, 60, false],
      );
      assert.deepEqual([ingredients.estimateMinutes, ingredients.phase, ingredients.critical], [90, 1, true]);
      assert.deepEqual(accounts.dependsOn, ['DB.2', 'DB.3']);
      assert.deepEqual([accounts.type, accounts.priority, accounts.estimateMinutes, accounts.phase, accounts.files], ['feature', 'medium', 60, 2, []]);
      assert.deepEqual([bug.type, bug.dependsOn, bug.phase, bug.critical], ['bug_fix', ['user-accounts'], 3, true]);
      assert.deepEqual(plan.phases, [['DB.2', 'DB.3'], ['user-accounts'], ['login-fails-on-uppercase-email']]);
      assert.deepEqual(plan.criticalPath, ['DB.3', 'user-accounts', 'login-fails-on-uppercase-email']);
      assert.equal(plan.criticalPathMinutes, 210);
      assert.equal(plan.totalMinutes, 240);
    });

    it('--format mermaid / dot draw the graph; --save stores it (--db, else WEFT_DB) and prints its id on stderr', async () => {
      const db = join(dir, 'saved.db');
      const envDb = join(dir, 'env.db');
      const [mermaid, dot] = await Promise.all([
        weft(['plan', req, '--format', 'mermaid', '--save', '--db', db]),
        weft(['plan', req, '--format', 'dot', '--save'], { env: { WEFT_DB: envDb } }),
      ]);
      assert.equal(mermaid.code, 0, mermaid.stderr);
      assert.match(mermaid.stdout, /^flowchart LR\n/);
      assert.match(mermaid.stdout, /class .*critical;/);
      assert.match(dot.stdout, /^digraph "Recipe Box" \{/);
      assert.match(dot.stdout, /"DB\.3" -> "user-accounts" \[color=/);
      const id = /^saved plan (plan-[a-z0-9]+-[a-f0-9]+)\n$/.exec(mermaid.stderr)?.[1];
      assert.ok(id, mermaid.stderr);
      const store = await openStore(db);
      try {
        const saved = await store.getPlan(id);
        assert.equal(saved?.title, 'Recipe Box');
        assert.equal(saved?.source, req);
        assert.equal((saved?.plan as { tasks: unknown[] }).tasks.length, 5);
      } finally {
        await store.close();
      }
      assert.match(dot.stderr, /^saved plan plan-/);
      assert.ok(existsSync(envDb));
    });

    it('honours defaultEstimateMinutes from weft.config.yaml; --save defaults to .weft/weft.db', async () => {
      const sub = await mkdtemp(join(dir, 'cfg-'));
      await writeFile(join(sub, 'weft.config.yaml'), 'defaultEstimateMinutes: 25\n');
      await writeFile(join(sub, 'REQUIREMENTS.md'), '# P\n\n## A: One\n\n## B: Two\nEstimate: 2h\n');
      const r = await weft(['plan', '--json', '--save'], { cwd: sub });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout).tasks.map((t: { estimateMinutes: number }) => t.estimateMinutes), [25, 120]);
      assert.ok(existsSync(join(sub, '.weft', 'weft.db')));
    });

    const bad: Array<[string, string, RegExp]> = [
      ['cycle', '# P\n\n## A: One\nDepends on: B\n\n## B: Two\nDepends on: A\n', /:4: dependency cycle: A -> B -> A\n$/],
      ['empty', '', /:1: file is empty/],
    ];
    for (const [name, text, message] of bad) {
      it(`bad input (${name}): exit 2, FILE:LINE on stderr, nothing stored`, async () => {
        const req = await file(`${name}.md`, text);
        const db = join(dir, `${name}.db`);
        const r = await weft(['plan', req, '--json', '--save', '--db', db]);
        assert.equal(r.code, 2);
        assert.equal(r.stdout, '');
        assert.ok(r.stderr.startsWith(`weft: ${req}:`), r.stderr);
        assert.match(r.stderr, message);
        assert.equal(r.stderr.trim().split('\n').length, 1, 'one message, no stack trace');
        assert.equal(existsSync(db), false);
      });
    }

    it('a missing file is bad input too', async () => {
      const r = await weft(['plan', 'nope.md']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /nope\.md:1: cannot read file: no such file/);
    });
  });

  describe('weft prompt', { concurrency: true }, () => {
    it('prints the task prompt with context, criteria and what builds on it; warns when over budget', async () => {
      const r = await weft(['prompt', req, 'DB.3']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Ingredients table/);
      assert.match(r.stdout, /A web app for saving and sharing recipes/);
      assert.match(r.stdout, /Migrations are reversible/);
      assert.match(r.stdout, /user-accounts/);
      assert.equal(r.stderr, '');
      const small = await weft(['prompt', req, 'DB.3', '--max-chars', '200']);
      assert.equal(small.code, 0);
      assert.match(small.stderr, /over the budget of 200/);
    });
  });

  describe('weft init and weft next', { concurrency: true }, () => {
    it('init writes the starter files, says what to run next, and refuses to overwrite', async () => {
      const target = join(dir, 'fresh');
      const r = await weft(['init', target]);
      assert.equal(r.code, 0, r.stderr);
      for (const name of ['REQUIREMENTS.md', 'STRUCTURE.md', 'weft.config.yaml']) assert.ok(existsSync(join(target, name)), name);
      assert.match(r.stdout, /weft plan /);
      const again = await weft(['init', target]);
      assert.equal(again.code, 2);
      assert.match(again.stderr, /--force/);
    });

    it('next --json prints the ready task on the longest path, with a reason; null when all is done', async () => {
      const r = await weft(['next', req, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const t = JSON.parse(r.stdout);
      assert.equal(t.id, 'DB.3');
      assert.equal(t.critical, true);
      assert.equal(t.phase, 1);
      assert.equal(typeof t.reason, 'string');
      assert.deepEqual(Object.keys(t).sort(), [...Object.keys(JSON.parse((await planOfReq()).stdout).tasks[0]), 'reason'].sort());
      const done = await file('done.md', '# P\n\n## A: One\n- [x] first\n- [x] second\n');
      const none = await weft(['next', done, '--json']);
      assert.equal(none.code, 0);
      assert.equal(none.stdout.trim(), 'null');
    });
  });

  describe('weft import/export taskmaster', { concurrency: true }, () => {
    it('round-trips a plan through tasks.json (and import --save stores it)', async () => {
      const out = join(dir, 'tasks.json');
      const exp = await weft(['export', 'taskmaster', req, '--out', out]);
      assert.equal(exp.code, 0, exp.stderr);
      const json = JSON.parse(await readFile(out, 'utf8'));
      assert.deepEqual(json.master.tasks.map((t: { title: string }) => t.title), ['Database schema', 'User accounts', 'Login fails on uppercase email']);
      const db = join(dir, 'tm.db');
      const [orig, back] = await Promise.all([planOfReq(), weft(['import', 'taskmaster', out, '--json', '--save', '--db', db])]);
      assert.equal(back.code, 0, back.stderr);
      assert.match(back.stderr, /^saved plan plan-/);
      assert.ok(existsSync(db));
      type T = { id: string; title: string; status: string; dependsOn: string[]; phase: number | null };
      const a: T[] = JSON.parse(orig.stdout).tasks;
      const b: T[] = JSON.parse(back.stdout).tasks;
      // Ids become Task Master numbers; titles, statuses, phases and the edges between titles survive.
      const shape = (ts: T[]) => {
        const title = new Map(ts.map((t) => [t.id, t.title]));
        return ts.map((t) => ({ title: t.title, status: t.status, phase: t.phase, deps: t.dependsOn.map((d) => title.get(d)).sort() }));
      };
      assert.deepEqual(shape(b), shape(a));
      assert.deepEqual(b.map((t) => t.id), ['1.1', '1.2', '1.3', '2', '3']);
    });

    it('import rejects invalid JSON naming the file', async () => {
      const broken = await file('broken.json', '{ "tasks": [ ');
      const r = await weft(['import', 'taskmaster', broken]);
      assert.equal(r.code, 2);
      assert.ok(r.stderr.startsWith(`weft: ${broken}: invalid JSON`), r.stderr);
    });
  });
});
