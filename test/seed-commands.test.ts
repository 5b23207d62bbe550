import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runWeft } from './helpers/run-cli.js';

let dir: string;
const git = (args: string[]) =>
  execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
const weft = (args: string[]) => runWeft(args, { cwd: dir });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weft-seed001-'));
  git(['init', '-q', '-b', 'main']);
  git(['commit', '-q', '--allow-empty', '-m', 'init']);
});
after(() => rm(dir, { recursive: true, force: true }));

describe("seed 001's commands", () => {
  it('create-requirements and create-structure write the starter files, and refuse to overwrite them', async () => {
    assert.equal((await weft(['create-requirements'])).code, 0);
    assert.equal((await weft(['create-structure'])).code, 0);
    assert.match(await readFile(join(dir, 'REQUIREMENTS.md'), 'utf8'), /^# /m);
    assert.match(await readFile(join(dir, 'STRUCTURE.md'), 'utf8'), /^## /m);
    const again = await weft(['create-requirements']);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists; use --force/);
  });

  it('parse-requirements, identify-dependencies and prioritize-tasks print the tasks, the graph and the phases', async () => {
    const parsed = JSON.parse((await weft(['parse-requirements', '--json'])).stdout) as { tasks: { id: string; dependsOn: string[] }[] };
    assert.ok(parsed.tasks.length > 3);
    const graph = JSON.parse((await weft(['identify-dependencies', '--json'])).stdout) as { tasks: { id: string; dependents: string[] }[]; edges: { from: string; to: string }[] };
    const edges = parsed.tasks.flatMap((t) => t.dependsOn.map((d) => `${d}->${t.id}`));
    assert.deepEqual(graph.edges.map((e) => `${e.from}->${e.to}`), edges);
    for (const e of graph.edges) assert.ok(graph.tasks.find((t) => t.id === e.from)!.dependents.includes(e.to));
    const phases = JSON.parse((await weft(['prioritize-tasks', '--json'])).stdout) as { phases: { phase: number; tasks: { id: string }[] }[]; criticalPath: string[] };
    assert.equal(phases.phases[0]!.phase, 1);
    const text = await weft(['prioritize-tasks']);
    assert.match(text.stdout, /^Phase 1 \(\d+ in parallel\)$/m);
    assert.match(text.stdout, /^critical path \(\*\): /m);
  });

  it('generate-queries --phase 1 prints the prompts of phase 1, and execute-queries runs them through the engine', async () => {
    const r = await weft(['generate-queries', '--phase', '1']);
    assert.equal(r.code, 0, r.stderr);
    const queries = JSON.parse(r.stdout) as { id: string; phase: number; prompt: string }[];
    const phases = JSON.parse((await weft(['prioritize-tasks', '--json'])).stdout) as { phases: { tasks: { id: string }[] }[] };
    assert.deepEqual(queries.map((q) => q.id), phases.phases[0]!.tasks.map((t) => t.id));
    assert.match(queries[0]!.prompt, new RegExp(`^# Task ${queries[0]!.id.replace(/[.]/g, '\\.')}:`, 'm'));
    await writeFile(join(dir, 'queries.json'), r.stdout);
    const bad = await weft(['generate-queries', '--phase', '99']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /no phase 99/);

    // A scripted agent that keeps the prompt it got: the prompt reaches it as written in the file.
    await writeFile(join(dir, '..', `${dir.split('/').pop()}-q.mjs`), "import { copyFileSync } from 'node:fs';\ncopyFileSync(process.env.WEFT_PROMPT_FILE, 'got-' + process.env.WEFT_TASK_ID + '.md');\n");
    const agent = `${process.execPath} ${join(dir, '..', `${dir.split('/').pop()}-q.mjs`)}`;
    const run = await weft(['execute-queries', '--input-file', 'queries.json', '--agent', agent, '--repo', '.', '--json', '--quiet']);
    assert.equal(run.code, 0, run.stderr);
    const status = JSON.parse(run.stdout) as { run: { branch: string }; tasks: { id: string; status: string }[] };
    assert.deepEqual(status.tasks.map((t) => t.status), queries.map(() => 'succeeded'));
    assert.equal(git(['show', `${status.run.branch}:got-${queries[0]!.id}.md`]), queries[0]!.prompt);
  });

  it('execute-tasks runs a tasks JSON file (parse-requirements output) with its dependencies', async () => {
    await writeFile(join(dir, 'tasks.json'), (await weft(['parse-requirements', '--json'])).stdout);
    const run = await weft(['execute-tasks', '--input-file', 'tasks.json', '--agent', 'example', '--repo', '.', '--json', '--quiet', '--concurrency', '3']);
    assert.equal(run.code, 0, run.stderr);
    const status = JSON.parse(run.stdout) as { tasks: { status: string }[] };
    assert.ok(status.tasks.every((t) => t.status === 'succeeded' || t.status === 'done'));
    const bad = await runWeft(['execute-tasks', '--input-file', 'missing.json'], { cwd: dir });
    assert.equal(bad.code, 2);
  });

  it('generate-interface has an agent write the interface, its mock and contract documents on the integration branch', async () => {
    const script = fileURLToPath(new URL('./helpers/interface-agent.mjs', import.meta.url));
    const run = await weft(['generate-interface', '--name', 'UserService', '--description', 'User authentication service', '--agent', `${process.execPath} ${script}`, '--repo', '.', '--json', '--quiet']);
    assert.equal(run.code, 0, run.stderr);
    const status = JSON.parse(run.stdout) as { run: { branch: string }; tasks: { id: string }[] };
    assert.equal(status.tasks[0]!.id, 'interface-user-service');
    const files = git(['ls-tree', '-r', '--name-only', status.run.branch]).split('\n');
    for (const f of ['src/interfaces/user-service.ts', 'src/interfaces/user-service.mock.ts', 'docs/contracts/user-service/validation.md', 'docs/contracts/user-service/schema.json', 'docs/contracts/user-service/openapi.yaml']) {
      assert.ok(files.includes(f), `${f} on ${status.run.branch}`);
    }
  });

  it('create-mock makes a typed mock of an interface file that type-checks against it', async () => {
    await writeFile(
      join(dir, 'interface.ts'),
      `export interface User { id: string; email: string; nickname?: string }
export interface UserService {
  login(email: string, password: string): Promise<User | null>;
  list(limit?: number): User[];
  readonly name: string;
  remove(...ids: string[]): Promise<void>;
}
`,
    );
    const r = await weft(['create-mock', '--input-file', 'interface.ts', '--output', 'interface.mock.ts', '--org-id', 'YOUR_ORG_ID', '--token', 'YOUR_TOKEN']);
    assert.equal(r.code, 0, r.stderr);
    const mock = await readFile(join(dir, 'interface.mock.ts'), 'utf8');
    assert.match(mock, /export class MockUserService implements UserService \{/);
    assert.match(mock, /async login\(email: string, password: string\): Promise<User \| null> \{\n {4}this\.calls\.push\(\{ method: 'login', args: \[email, password\] \}\);\n {4}return null;/);
    assert.match(mock, /export function mockUser\(overrides: Partial<User> = \{\}\): User \{/);
    const tsc = join(process.cwd(), 'node_modules', 'typescript', 'bin', 'tsc');
    execFileSync(process.execPath, [tsc, '--strict', '--noEmit', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', 'interface.mock.ts'], { cwd: dir });
    const none = await weft(['create-mock', '--input-file', 'REQUIREMENTS.md']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no TypeScript interface/);
  });
});
