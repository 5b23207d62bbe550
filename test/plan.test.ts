import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SourceError } from '../src/core/errors.js';
import type { Plan, PlannedTask } from '../src/core/task.js';
import { buildPlan } from '../src/plan/build-plan.js';
import { pickNextTask } from '../src/plan/next-task.js';

/** A document as a user would write it: mixed heading styles, loose metadata casing, items, prose. */
const RECIPES = `# Recipe Box

A web app for saving and sharing recipes.
TypeScript, Express and Postgres; every endpoint validates its input.

## DB: Database schema
TYPE: interface
priority: High
Files: src/db/**, migrations/*
Estimate: 5h

Tables for users, recipes and ingredients.

- [x] Users table
- [ ] Recipes table (45m)
- [ ] Ingredients table

### Acceptance criteria
- Migrations are reversible
- Foreign keys are enforced

## User accounts
Depends on: database schema
ESTIMATE: 3h
Files: src/auth/**

Sign-up and login with email and password.

- [ ] Sign-up endpoint
- [ ] Login endpoint

## SEARCH: Recipe search
depends-on: DB, USER ACCOUNTS
Priority: low
Files: src/search/**

Search recipes by title and ingredient.

## Login fails on uppercase email
Depends on: User accounts

Users who sign up with an uppercase email cannot log in: the lookup is case-sensitive and throws.

## Ship it
Depends on: SEARCH, login fails on uppercase email

Put the app on AWS with Docker, behind nginx, so it is live in production.
`;

const STRUCTURE = `# Structure

## Database
Path: src/db/**
Uses: none

## Auth
Path: src/auth/**
Uses: Database

## Search
Path: src/search/**
Uses: Database, Auth
`;

function plan(text: string, structure?: string): Plan {
  return buildPlan({ requirements: { text, file: 'REQUIREMENTS.md' }, ...(structure ? { structure: { text: structure, file: 'STRUCTURE.md' } } : {}) });
}

function task(p: Plan, id: string): PlannedTask {
  const t = p.tasks.find((x) => x.id === id);
  assert.ok(t, `task ${id} exists (have ${p.tasks.map((x) => x.id).join(', ')})`);
  return t;
}

/** The message of the SourceError planning `text` throws. */
function errorOf(text: string, structure?: string): string {
  try {
    plan(text, structure);
  } catch (err) {
    assert.ok(err instanceof SourceError, `expected SourceError, got ${String(err)}`);
    return err.message;
  }
  return assert.fail('expected planning to fail');
}

describe('a realistic REQUIREMENTS.md', () => {
  const p = plan(RECIPES);

  it('takes the title and the prose under it as project context', () => {
    assert.equal(p.title, 'Recipe Box');
    assert.equal(p.context, 'A web app for saving and sharing recipes.\nTypeScript, Express and Postgres; every endpoint validates its input.');
  });

  it('names tasks by explicit id or title slug, items numbered by position (done ones included)', () => {
    assert.deepEqual(
      p.tasks.map((t) => t.id),
      ['DB.1', 'DB.2', 'DB.3', 'user-accounts.1', 'user-accounts.2', 'SEARCH', 'login-fails-on-uppercase-email', 'ship-it'],
    );
    assert.deepEqual(
      p.tasks.map((t) => t.title),
      ['Users table', 'Recipes table', 'Ingredients table', 'Sign-up endpoint', 'Login endpoint', 'Recipe search', 'Login fails on uppercase email', 'Ship it'],
    );
    assert.equal(task(p, 'DB.2').requirementId, 'DB');
    assert.equal(task(p, 'user-accounts.2').requirementId, 'user-accounts');
  });

  it('a [x] item is done: never in a phase, no slack, not critical', () => {
    const done = task(p, 'DB.1');
    assert.equal(done.status, 'done');
    assert.equal(done.phase, null);
    assert.equal(done.critical, false);
    assert.ok(!p.phases.flat().includes('DB.1'));
    assert.equal(task(p, 'DB.2').status, 'pending');
  });

  it('reads metadata keys in any case: type, priority, files', () => {
    const db = task(p, 'DB.3');
    assert.equal(db.type, 'interface');
    assert.equal(db.priority, 'high');
    assert.deepEqual(db.files, ['src/db/**', 'migrations/*']);
    assert.equal(task(p, 'SEARCH').priority, 'low');
    assert.equal(task(p, 'ship-it').priority, 'medium');
  });

  it('estimates: an item’s own (45m), else the requirement estimate split over open items, else the default', () => {
    assert.equal(task(p, 'DB.2').estimateMinutes, 45);
    assert.equal(task(p, 'DB.3').estimateMinutes, 150); // 5h over 2 open items
    assert.equal(task(p, 'user-accounts.1').estimateMinutes, 90); // 3h over 2
    assert.equal(task(p, 'SEARCH').estimateMinutes, 60);
    assert.equal(plan(RECIPES.replace('ESTIMATE: 3h\n', ''), undefined).tasks.find((t) => t.id === 'user-accounts.1')?.estimateMinutes, 60);
  });

  it('resolves dependencies by id or title, case-insensitively; a requirement with items means its open items', () => {
    assert.deepEqual(task(p, 'DB.2').dependsOn, []);
    assert.deepEqual(task(p, 'user-accounts.1').dependsOn, ['DB.2', 'DB.3']);
    assert.deepEqual(task(p, 'SEARCH').dependsOn, ['DB.2', 'DB.3', 'user-accounts.1', 'user-accounts.2']);
    assert.deepEqual(task(p, 'login-fails-on-uppercase-email').dependsOn, ['user-accounts.1', 'user-accounts.2']);
    assert.deepEqual(task(p, 'ship-it').dependsOn, ['SEARCH', 'login-fails-on-uppercase-email']);
  });

  it('infers the type of untyped requirements: bug fix, deployment, feature', () => {
    assert.equal(task(p, 'login-fails-on-uppercase-email').type, 'bug_fix');
    assert.equal(task(p, 'ship-it').type, 'deployment');
    assert.equal(task(p, 'SEARCH').type, 'feature');
    assert.match(task(p, 'ship-it').typeReason, /inferred/);
    assert.match(task(p, 'DB.1').typeReason, /Type: interface/);
  });

  it('items share their requirement’s description, acceptance criteria and files', () => {
    const it2 = task(p, 'DB.2');
    assert.equal(it2.description, 'Tables for users, recipes and ingredients.');
    assert.deepEqual(it2.acceptanceCriteria, ['Migrations are reversible', 'Foreign keys are enforced']);
    assert.deepEqual(task(p, 'SEARCH').acceptanceCriteria, []);
    assert.equal(task(p, 'ship-it').description, 'Put the app on AWS with Docker, behind nginx, so it is live in production.');
  });

  it('phases, critical path, slack and totals', () => {
    assert.deepEqual(p.phases, [['DB.2', 'DB.3'], ['user-accounts.1', 'user-accounts.2'], ['SEARCH', 'login-fails-on-uppercase-email'], ['ship-it']]);
    assert.deepEqual(p.criticalPath, ['DB.3', 'user-accounts.1', 'SEARCH', 'ship-it']);
    assert.equal(p.criticalPathMinutes, 150 + 90 + 60 + 60);
    assert.equal(p.totalMinutes, 45 + 150 + 90 + 90 + 60 + 60 + 60);
    assert.equal(task(p, 'DB.2').slackMinutes, 105);
    assert.equal(task(p, 'DB.3').slackMinutes, 0);
    assert.equal(task(p, 'DB.3').critical, true);
    assert.equal(task(p, 'DB.2').critical, false);
    assert.equal(task(p, 'user-accounts.2').critical, true); // tied with user-accounts.1
  });

  it('weft next picks the ready task on the longest remaining path', () => {
    const next = pickNextTask(p.tasks);
    assert.equal(next?.task.id, 'DB.3');
    assert.equal(next?.readyCount, 2);
    const after = pickNextTask(p.tasks, { finished: new Set(['DB.2', 'DB.3']) });
    // Tied on path and priority: the id decides.
    assert.equal(after?.task.id, 'user-accounts.1');
    assert.match(after?.reason ?? '', /by id/);
    assert.equal(pickNextTask(p.tasks, { finished: new Set(p.tasks.map((t) => t.id)) }), null);
    // Equal remaining paths: the higher priority goes first.
    const tie = plan('# P\n\n## A: One\nPriority: low\n\n## B: Two\nPriority: high\n');
    assert.equal(pickNextTask(tie.tasks)?.task.id, 'B');
    assert.match(pickNextTask(tie.tasks)?.reason ?? '', /priority high is higher/);
  });
});

describe('STRUCTURE.md: interface-first planning', () => {
  const p = plan(RECIPES, STRUCTURE);

  it('adds "Define the interface of X" where the document has none, and makes users depend on it', () => {
    const auth = task(p, 'auth-interface');
    assert.equal(auth.title, 'Define the interface of Auth');
    assert.equal(auth.type, 'interface');
    assert.equal(auth.status, 'pending');
    assert.deepEqual(auth.dependsOn, []);
    assert.equal(auth.phase, 1);
    // Search uses Database and Auth; Database's interface is the document's own interface task (DB).
    assert.ok(task(p, 'SEARCH').dependsOn.includes('auth-interface'));
    assert.ok(!p.tasks.some((t) => t.id === 'database-interface'), 'DB already is the Database interface');
  });

  it('waits for the open interface tasks a component already has, never a done one', () => {
    assert.deepEqual(task(p, 'user-accounts.1').dependsOn, ['DB.2', 'DB.3']);
    assert.deepEqual(task(p, 'SEARCH').dependsOn, ['DB.2', 'DB.3', 'user-accounts.1', 'user-accounts.2', 'auth-interface']);
    assert.deepEqual(task(p, 'SEARCH').notes, ['depends on auth-interface: its component Search uses Auth (interface-first)']);
    // All of the Database interface done: nothing to wait for, and nothing added.
    const allDone = plan(RECIPES.replaceAll('- [ ] Recipes table (45m)', '- [x] Recipes table').replace('- [ ] Ingredients table', '- [x] Ingredients table'), STRUCTURE);
    assert.deepEqual(task(allDone, 'user-accounts.1').dependsOn, []);
    assert.ok(!allDone.tasks.some((t) => t.id === 'database-interface'));
  });

  it('names an added interface task after the component, with its paths as files', () => {
    const auth = task(p, 'auth-interface');
    assert.deepEqual(auth.files, ['src/auth/**', 'docs/contracts/auth/**'], 'its paths, and where its contract documents go');
    assert.equal(auth.estimateMinutes, 60);
    assert.match(auth.typeReason, /interface-first/);
  });

  it('an unknown component in Uses: names STRUCTURE.md and its line', () => {
    const bad = STRUCTURE.replace('Uses: Database, Auth', 'Uses: Database, Billing');
    assert.match(errorOf(RECIPES, bad), /^STRUCTURE\.md:13: component "Search" uses unknown component "Billing"/);
  });
});

describe('Markdown structure', () => {
  it('skips code fences and HTML comments; counts nested, continued and numbered items', () => {
    const text = ['# P', '', '## A: One', '', 'Intro.', '', '```md', '## Not a requirement', '- [ ] not an item', '```', '', '<!--', '- [ ] commented out', '-->', '']
      .concat(['- [ ] first', '  - [ ] nested (30m)', '- [x] second', '  continued text', '', '1. [ ] numbered', '', '## B: Two', ''])
      .join('\n');
    const p = plan(text);
    assert.deepEqual(
      p.tasks.map((t) => [t.id, t.title, t.status, t.estimateMinutes]),
      [['A.1', 'first', 'pending', 60], ['A.2', 'nested', 'pending', 30], ['A.3', 'second continued text', 'done', 60], ['A.4', 'numbered', 'pending', 60], ['B', 'Two', 'pending', 60]],
    );
    assert.match(task(p, 'A.1').description, /^Intro\.\n\n```md\n## Not a requirement\n- \[ \] not an item\n```/);
  });
});

describe('bad input names FILE:LINE', () => {
  it('a dependency cycle, members in order', () => {
    const text = '# P\n\n## A: One\nDepends on: C\n\n## B: Two\nDepends on: A\n\n## C: Three\nDepends on: B\n';
    assert.equal(errorOf(text), 'REQUIREMENTS.md:4: dependency cycle: A -> C -> B -> A');
    assert.equal(errorOf('# P\n\n## A: One\nDepends on: A\n'), 'REQUIREMENTS.md:4: dependency cycle: A -> A');
  });

  it('a cycle through items of requirements is named by requirement', () => {
    const text = '# P\n\n## A: One\nDepends on: B\n- [ ] a1\n- [ ] a2\n\n## B: Two\nDepends on: A.2\n';
    assert.equal(errorOf(text), 'REQUIREMENTS.md:4: dependency cycle: A -> B -> A');
  });

  it('an unknown dependency', () => {
    assert.match(errorOf('# P\n\n## A: One\n\n## B: Two\nDepends on: A, Nope\n'), /^REQUIREMENTS\.md:6: unknown dependency "Nope" of "B"/);
  });

  it('a duplicate id', () => {
    assert.equal(errorOf('# P\n\n## A: One\n\n## A: Two\n'), 'REQUIREMENTS.md:5: duplicate id "A" (first defined at REQUIREMENTS.md:3)');
  });

  it('an empty file, or one without requirements', () => {
    assert.match(errorOf(''), /^REQUIREMENTS\.md:1: file is empty/);
    assert.match(errorOf('\n   \n'), /^REQUIREMENTS\.md:1: file is empty/);
    assert.match(errorOf('# Title\n\nOnly prose.\n'), /^REQUIREMENTS\.md:1: no requirements found/);
  });

  it('an invalid estimate, priority or type', () => {
    assert.match(errorOf('# P\n\n## A: One\nEstimate: soon\n'), /^REQUIREMENTS\.md:4: invalid estimate "soon"/);
    assert.match(errorOf('# P\n\n## A: One\nType: feature\nPriority: urgent\n'), /^REQUIREMENTS\.md:5: invalid priority "urgent": expected critical, high, medium, low/);
    assert.match(errorOf('# P\n\n## A: One\nType: magic\n'), /^REQUIREMENTS\.md:4: invalid type "magic"/);
  });
});
