import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../src/core/errors.js';
import type { Plan, TaskSpec } from '../src/core/task.js';
import { buildPlan } from '../src/plan/build-plan.js';
import { exportTaskmaster, importTaskmaster } from '../src/plan/taskmaster.js';

/** A tasks.json as Task Master writes it: ids as numbers, subtask dependencies as sibling numbers or "p.s". */
function legacyTasks() {
  return {
    tasks: [
      { id: 1, title: 'Set up the repository', description: 'Init the repo.', details: 'Use pnpm.', testStrategy: 'CI is green.', status: 'done', priority: 'high', dependencies: [], subtasks: [] },
      {
        id: 2,
        title: 'User accounts',
        description: 'Sign-up and login.',
        details: '',
        testStrategy: '',
        status: 'in-progress',
        priority: 'high',
        dependencies: [1],
        subtasks: [
          { id: 1, title: 'Password hashing', description: 'argon2', details: '', status: 'done', dependencies: [] },
          { id: 2, title: 'Sign-up endpoint', description: '', details: 'POST /signup', status: 'pending', dependencies: [1] },
          { id: 3, title: 'Login endpoint', description: '', details: '', status: 'pending', dependencies: ['2.1'] },
        ],
      },
      { id: 3, title: 'Fix session expiry', description: 'Sessions never expire.', details: null, testStrategy: '', status: 'deferred', priority: 'low', dependencies: [2], subtasks: [] },
      {
        id: 4,
        title: 'Admin dashboard',
        description: 'Manage users.',
        status: 'pending',
        priority: 'medium',
        dependencies: ['2.2'],
        subtasks: [
          { id: 1, title: 'User list page', description: '', details: '', status: 'pending', dependencies: [] },
          { id: 2, title: 'Ban a user', description: '', details: '', status: 'review', dependencies: [1, 3] },
        ],
      },
    ],
    metadata: { projectName: 'Accounts service', totalTasks: 4 },
  };
}

const byId = (tasks: TaskSpec[]) => new Map(tasks.map((t) => [t.id, t]));

/** Catches the InputError a call throws and returns its message. */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InputError, `expected InputError, got ${String(err)}`);
    return err.message;
  }
  return assert.fail('expected an InputError');
}

describe('importTaskmaster', () => {
  it('imports the legacy format with subtasks grouped under their parent', () => {
    const { title, tasks } = importTaskmaster(legacyTasks(), 'tasks.json');
    assert.equal(title, 'Accounts service');
    assert.deepEqual(tasks.map((t) => t.id), ['1', '2.1', '2.2', '2.3', '3', '4.1', '4.2']);
    const t = byId(tasks);
    assert.equal(t.get('1')?.status, 'done');
    assert.equal(t.get('1')?.description, 'Init the repo.\n\nUse pnpm.\n\nTest strategy:\nCI is green.');
    assert.equal(t.get('2.1')?.status, 'done');
    assert.equal(t.get('3')?.status, 'pending', 'deferred is still work to do');
    // Subtasks belong to their parent's requirement and inherit its priority and dependencies.
    assert.equal(t.get('2.2')?.requirementId, '2');
    assert.equal(t.get('2.2')?.requirementTitle, 'User accounts');
    assert.equal(t.get('2.2')?.priority, 'high');
    assert.deepEqual(t.get('2.2')?.dependsOn, ['1', '2.1']);
    assert.equal(t.get('2.2')?.description, 'POST /signup\n\nSign-up and login.', 'own text, then the parent text');
    assert.deepEqual(t.get('2.3')?.dependsOn, ['1', '2.1']);
    // Depending on a parent means depending on its open subtasks.
    assert.deepEqual(t.get('3')?.dependsOn, ['2.2', '2.3']);
    // A number names a sibling subtask; a parent-level "p.s" reaches every subtask.
    assert.deepEqual(t.get('4.2')?.dependsOn, ['2.2', '4.1', '3']);
    assert.equal(t.get('3')?.type, 'bug_fix');
    assert.equal(t.get('4.1')?.type, 'feature');
    assert.equal(t.get('4.1')?.typeReason, 'imported from Task Master');
    assert.equal(t.get('4.1')?.estimateMinutes, 60);
    assert.equal(t.get('4.1')?.source.file, 'tasks.json');
  });

  it('imports the tagged format, using master or the only tag', () => {
    const tagged = { master: { tasks: legacyTasks().tasks, metadata: { description: 'Tasks for master context' } }, feature: { tasks: [{ id: 1, title: 'Other', dependencies: [] }] } };
    assert.equal(importTaskmaster(tagged, 'tasks.json').tasks.length, 7);
    const other = importTaskmaster(tagged, 'tasks.json', { tag: 'feature', estimateMinutes: 30 });
    assert.deepEqual(other.tasks.map((t) => [t.id, t.title, t.estimateMinutes]), [['1', 'Other', 30]]);
    const only = importTaskmaster({ 'feat-x': { tasks: [{ id: 7, title: 'Solo', status: 'done' }] } }, 'tasks.json');
    assert.deepEqual(only.tasks.map((t) => [t.id, t.status]), [['7', 'done']]);
    assert.equal(errorOf(() => importTaskmaster(tagged, 'tasks.json', { tag: 'nope' })), 'tasks.json: no tag "nope" with a task list; tags: master, feature');
  });

  it('names the JSON path of an unknown dependency', () => {
    const json = legacyTasks();
    json.tasks[2]!.dependencies = [99];
    assert.equal(errorOf(() => importTaskmaster(json, 'tasks.json')), 'tasks.json: tasks[2].dependencies[0]: unknown task 99');
    const sub = legacyTasks();
    sub.tasks[1]!.subtasks![2]!.dependencies = ['2.9'];
    assert.equal(errorOf(() => importTaskmaster(sub, 'tasks.json')), 'tasks.json: tasks[1].subtasks[2].dependencies[0]: unknown subtask 2.9');
    const tagged = { master: { tasks: [{ id: 1, title: 'A', dependencies: [5] }] } };
    assert.equal(errorOf(() => importTaskmaster(tagged, 'tasks.json')), 'tasks.json: master.tasks[0].dependencies[0]: unknown task 5');
  });

  it('names the JSON path of a malformed task', () => {
    const json = legacyTasks() as { tasks: Record<string, unknown>[] };
    delete json.tasks[3]!.title;
    assert.match(errorOf(() => importTaskmaster(json, 'tasks.json')), /^tasks\.json: tasks\[3\]\.title: /);
    const status = legacyTasks();
    status.tasks[0]!.status = 'finished';
    assert.match(errorOf(() => importTaskmaster(status, 'tasks.json')), /^tasks\.json: tasks\[0\]\.status: /);
    const dup = legacyTasks();
    dup.tasks[3]!.id = 2;
    assert.equal(errorOf(() => importTaskmaster(dup, 'tasks.json')), 'tasks.json: tasks[3].id: duplicate task id 2');
    assert.match(errorOf(() => importTaskmaster([1, 2], 'tasks.json')), /^tasks\.json: expected a JSON object/);
  });
});

const REQUIREMENTS = `# Shop

A tiny shop.

## DB: Database
Priority: critical

Postgres schema and migrations.

- [x] Schema (30m)
- [ ] Migrations (60m)

## API: HTTP API
Depends on: DB

- [ ] Products endpoint
- [ ] Orders endpoint

## Docs
Depends on: API.2
Type: docs

Write the README.
`;

/** Title -> sorted titles of its dependencies: the structure a round trip must keep. */
function structure(tasks: { id: string; title: string; dependsOn: string[] }[]): Record<string, string[]> {
  const title = new Map(tasks.map((t) => [t.id, t.title]));
  return Object.fromEntries(tasks.map((t) => [t.title, t.dependsOn.map((d) => title.get(d) ?? `?${d}`).sort()]));
}

describe('exportTaskmaster', () => {
  const plan: Plan = buildPlan({ requirements: { text: REQUIREMENTS, file: 'REQUIREMENTS.md' } });

  it('writes the tagged format with requirements as parents of their tasks', () => {
    const out = exportTaskmaster(plan, { now: new Date('2025-01-02T03:04:05Z') });
    assert.deepEqual(out.master.metadata, { created: '2025-01-02T03:04:05.000Z', updated: '2025-01-02T03:04:05.000Z', description: 'Shop' });
    const [db, api, docs] = out.master.tasks;
    assert.deepEqual([db?.id, db?.title, db?.priority, db?.status], [1, 'Database', 'high', 'pending']);
    assert.deepEqual(db?.subtasks?.map((s) => [s.id, s.title, s.status]), [[1, 'Schema', 'done'], [2, 'Migrations', 'pending']]);
    // The requirement's prose is written once, on the parent.
    assert.equal(db?.description, 'Postgres schema and migrations.');
    assert.deepEqual(db?.subtasks?.map((s) => s.description), ['', '']);
    // The requirement-level dependency is lifted to the parent, as the parent id.
    assert.deepEqual(api?.dependencies, [1]);
    assert.deepEqual(api?.subtasks?.map((s) => s.dependencies), [[], []]);
    assert.deepEqual([docs?.id, docs?.subtasks, docs?.dependencies], [3, undefined, ['2.2']]);
  });

  it('round-trips titles, statuses and dependencies through a tasks.json file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weft-tm-'));
    try {
      const file = join(dir, 'tasks.json');
      await writeFile(file, JSON.stringify(exportTaskmaster(plan), null, 2));
      const back = importTaskmaster(JSON.parse(await readFile(file, 'utf8')), file);
      assert.equal(back.title, plan.title);
      assert.deepEqual(back.tasks.map((t) => [t.title, t.status]), plan.tasks.map((t) => [t.title, t.status]));
      assert.deepEqual(back.tasks.map((t) => t.description), plan.tasks.map((t) => t.description));
      assert.deepEqual(structure(back.tasks), structure(plan.tasks));
      assert.deepEqual(back.tasks.map((t) => t.requirementTitle), plan.tasks.map((t) => t.requirementTitle));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('round-trips an imported Task Master file, including subtask-level dependencies', () => {
    const first = importTaskmaster(legacyTasks(), 'tasks.json');
    // Task 1 while a sibling subtask is also numbered 1: the export must keep them apart.
    first.tasks.find((t) => t.id === '4.1')?.dependsOn.push('1');
    const asPlan = { title: first.title, context: '', tasks: first.tasks, phases: [], criticalPath: [], criticalPathMinutes: 0, totalMinutes: 0, source: 'tasks.json' } as unknown as Plan;
    const second = importTaskmaster(exportTaskmaster(asPlan), 'tasks.json');
    assert.deepEqual(second.tasks.map((t) => [t.title, t.status]), first.tasks.map((t) => [t.title, t.status]));
    assert.deepEqual(second.tasks.map((t) => t.description), first.tasks.map((t) => t.description));
    assert.deepEqual(structure(second.tasks), structure(first.tasks));
    assert.deepEqual(second.tasks.find((t) => t.title === 'User list page')?.dependsOn, ['2.2', '1']);
  });
});
