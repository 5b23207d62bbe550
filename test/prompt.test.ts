import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { InputError, NotFoundError } from '../src/core/errors.js';
import { TASK_TYPES } from '../src/core/task.js';
import type { Plan, PlannedTask } from '../src/core/task.js';
import { buildPrompt, createTemplateLoader } from '../src/prompt/index.js';

function task(id: string, over: Partial<PlannedTask> = {}): PlannedTask {
  return {
    id,
    title: `Title of ${id}`,
    description: `Description of ${id}.`,
    type: 'feature',
    typeReason: 'default',
    priority: 'medium',
    status: 'pending',
    dependsOn: [],
    estimateMinutes: 30,
    files: [],
    acceptanceCriteria: [],
    requirementId: 'auth',
    requirementTitle: 'Authentication',
    source: { file: 'REQUIREMENTS.md', line: 1 },
    phase: 1,
    earliestStartMinutes: 0,
    slackMinutes: 0,
    critical: false,
    tailMinutes: 30,
    ...over,
  };
}

/** user-model <- login <- session <- logout: one interface task, a chain of dependents. */
function samplePlan(overrides: Record<string, Partial<PlannedTask>> = {}): Plan {
  const tasks = [
    task('user-model', { type: 'interface', title: 'Define the User model', description: 'Types for users and a repository interface.' }),
    task('login', {
      type: 'feature',
      title: 'Add the login endpoint',
      description: 'POST /login checks the password and returns a token.',
      dependsOn: ['user-model'],
      priority: 'high',
      files: ['src/routes/login.ts'],
      acceptanceCriteria: ['Wrong passwords get 401', 'A token is returned on success'],
    }),
    task('session', { title: 'Keep sessions', dependsOn: ['login'] }),
    task('logout', { title: 'Add logout', dependsOn: ['session'] }),
  ].map((t) => ({ ...t, ...overrides[t.id] }));
  return {
    title: 'Shop',
    context: 'A small web shop written in TypeScript.',
    tasks,
    phases: [['user-model'], ['login'], ['session'], ['logout']],
    criticalPath: ['user-model', 'login', 'session', 'logout'],
    criticalPathMinutes: 120,
    totalMinutes: 120,
    source: 'REQUIREMENTS.md',
  };
}

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'weft-prompt-'));
  tempDirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('buildPrompt', () => {
  it('renders the task header, description, criteria and files with the template of its type', async () => {
    const built = await buildPrompt(samplePlan(), 'login');
    assert.match(built.text, /^# Task login: Add the login endpoint$/m);
    assert.match(built.text, /- Type: feature/);
    assert.match(built.text, /- Priority: high/);
    assert.match(built.text, /POST \/login checks the password/);
    assert.match(built.text, /- Wrong passwords get 401\n- A token is returned on success/);
    assert.match(built.text, /`src\/routes\/login\.ts`/);
    assert.match(built.text, /## How to build this feature/);
    assert.match(built.text, /Do not push/);
    assert.ok(built.template.endsWith('feature.liquid'));
    assert.equal(built.chars, built.text.length);
    assert.equal(built.estimatedTokens, Math.ceil(built.text.length / 4));
    assert.deepEqual(built.trimmed, []);
    assert.doesNotMatch(built.text, /shortened to fit/);
    assert.doesNotMatch(built.text, /\n\n\n/);
  });

  it('gives each task type its own instructions', async () => {
    const expected: Record<string, RegExp> = {
      feature: /acceptance criterion/,
      bug_fix: /Reproduce it first[\s\S]*root cause[\s\S]*regression test/,
      refactor: /Behaviour must not change/,
      docs: /Document what the code actually does/,
      test: /Test observable behaviour/,
      deployment: /idempotent[\s\S]*No secrets in code/,
      interface: /types and contracts[\s\S]*mock implementation/,
    };
    for (const type of TASK_TYPES) {
      const built = await buildPrompt(samplePlan({ login: { type } }), 'login');
      assert.ok(built.template.endsWith(`${type}.liquid`), type);
      assert.match(built.text, expected[type]!, type);
      assert.match(built.text, new RegExp(`- Type: ${type.replace('_', ' ')}`));
    }
  });

  it('tells what dependencies produced and which later tasks build on this one', async () => {
    const memory = { 'user-model': { summary: 'Added the User type and UserRepository.', filesChanged: ['src/user.ts'], commits: ['abc1234'] } };
    const built = await buildPrompt(samplePlan(), 'login', { memory });
    assert.match(built.text, /### user-model: Define the User model/);
    assert.match(built.text, /What it produced: Added the User type and UserRepository\./);
    assert.match(built.text, /`src\/user\.ts`/);
    assert.match(built.text, /abc1234/);
    assert.match(built.text, /- session: Keep sessions/);
    assert.match(built.text, /Further downstream:\n\n- logout: Add logout/);

    const fromMap = await buildPrompt(samplePlan(), 'login', { memory: new Map(Object.entries(memory)) });
    assert.match(fromMap.text, /What it produced: Added the User type/);

    const last = await buildPrompt(samplePlan(), 'logout');
    assert.doesNotMatch(last.text, /Later tasks that build on this one/);
  });

  it('feeds back the previous failure on a retry', async () => {
    const first = await buildPrompt(samplePlan(), 'login');
    assert.doesNotMatch(first.text, /Previous attempt/);

    const retry = await buildPrompt(samplePlan(), 'login', {
      feedback: {
        attempt: 1,
        category: 'test',
        message: 'npm test failed: 2 tests',
        outputTail: 'not ok 1 - login\n```\nAssertionError',
        conflictFiles: ['src/app.ts'],
      },
    });
    assert.match(retry.text, /- Attempt: 2/);
    assert.match(retry.text, /Attempt 1 failed \(test\)/);
    assert.match(retry.text, /npm test failed: 2 tests/);
    assert.match(retry.text, /`src\/app\.ts`/);
    // The tail contains ``` itself, so the fence around it must be longer.
    assert.match(retry.text, /````\nnot ok 1 - login\n```\nAssertionError\n````/);
  });

  it('prints task text containing Liquid syntax as it is', async () => {
    const tricky = 'Render {{ task.id }} and {% raw %} and {% include "_rules" %} {{ "x" | upcase }}';
    const plan = samplePlan({
      login: { title: 'Title {{ project.title }}', description: tricky, acceptanceCriteria: ['{% if true %}criterion{% endif %}'] },
    });
    const built = await buildPrompt(plan, 'login', {
      memory: { 'user-model': { summary: '{{ dependencies }}' } },
      feedback: { attempt: 1, category: 'agent', message: '{% endraw %}', outputTail: '{{ feedback }}' },
      extraInstructions: '{% comment %}',
    });
    assert.ok(built.text.includes(tricky));
    assert.ok(built.text.includes('# Task login: Title {{ project.title }}'));
    assert.ok(built.text.includes('- {% if true %}criterion{% endif %}'));
    assert.ok(built.text.includes('What it produced: {{ dependencies }}'));
    assert.ok(built.text.includes('{% endraw %}'));
    assert.ok(built.text.includes('{{ feedback }}'));
    assert.ok(built.text.includes('{% comment %}'));
  });

  it('names close ids when the task is unknown', async () => {
    await assert.rejects(buildPrompt(samplePlan(), 'logni'), (err: unknown) => {
      assert.ok(err instanceof NotFoundError);
      assert.match(err.message, /unknown task "logni"; did you mean login\?/);
      return true;
    });
    await assert.rejects(buildPrompt(samplePlan(), 'zzzzzzzz'), /unknown task "zzzzzzzz"$/);
  });

  it('rejects a budget that is not a positive integer', async () => {
    await assert.rejects(buildPrompt(samplePlan(), 'login', { maxChars: 0 }), InputError);
  });
});

describe('prompt budget', () => {
  const bigPlan = () =>
    samplePlan({
      'user-model': { description: 'Dependency details. '.repeat(150) },
      login: { description: 'The real work. '.repeat(40) },
    });
  const bigOptions = {
    codeContext: 'const line = 1;\n'.repeat(400),
    memory: { 'user-model': { summary: 'It built the model. '.repeat(50), filesChanged: ['src/user.ts'] } },
    feedback: { attempt: 2, category: 'test', message: 'The login test timed out.', outputTail: 'log line\n'.repeat(50) },
  };

  it('trims the least important sections first and says so', async () => {
    const full = await buildPrompt(bigPlan(), 'login', bigOptions);
    assert.deepEqual(full.trimmed, []);

    // Just under the full size: dropping the transitive dependents is not enough, shortening code is.
    const built = await buildPrompt(bigPlan(), 'login', { ...bigOptions, maxChars: full.chars - 2000 });
    assert.deepEqual(built.trimmed, ['further downstream tasks', 'relevant code (shortened)']);
    assert.ok(built.chars <= full.chars - 2000);
    assert.match(built.text, /Note: this prompt was shortened to fit its size budget\. Left out or shortened: further downstream tasks, relevant code \(shortened\)\./);
    assert.doesNotMatch(built.text, /- logout: Add logout/);
    assert.match(built.text, /- session: Keep sessions/);
    assert.match(built.text, /const line = 1;\n[\s\S]*… \(shortened\)\n```/);
    assert.match(built.text, /Dependency details\./);
  });

  it('never trims the header, the task itself or the failure message', async () => {
    const built = await buildPrompt(bigPlan(), 'login', { ...bigOptions, maxTokens: 500 });
    assert.deepEqual(built.trimmed, [
      'further downstream tasks',
      'relevant code',
      'dependency descriptions',
      'dependency files and commits',
      'project context',
      'dependency results',
      'later tasks',
      'previous attempt output',
    ]);
    assert.match(built.text, /^# Task login: Add the login endpoint$/m);
    assert.ok(built.text.includes('The real work. '.repeat(40).trim()));
    assert.match(built.text, /- Wrong passwords get 401/);
    assert.match(built.text, /The login test timed out\./);
    assert.match(built.text, /### user-model: Define the User model/);
    assert.doesNotMatch(built.text, /const line = 1;/);
    assert.doesNotMatch(built.text, /It built the model/);
  });

  it('fits a token budget when trimming can reach it', async () => {
    const built = await buildPrompt(bigPlan(), 'login', { ...bigOptions, maxTokens: 2000 });
    assert.ok(built.estimatedTokens <= 2000, `${built.estimatedTokens} tokens`);
    assert.ok(built.trimmed.length > 0);
    // Shortened log tails keep their end, where the error usually is.
    if (built.trimmed.includes('previous attempt output (shortened)')) assert.match(built.text, /\(earlier output cut\) …\n/);
  });
});

describe('prompt templates', () => {
  it('lets an override folder replace templates file by file', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bug_fix.liquid'), 'CUSTOM {{ task.id }}: {{ task.description }}\n');
    writeFileSync(join(dir, '_rules.liquid'), '## House rules\n\n- Sign every commit.\n');

    const bug = await buildPrompt(samplePlan({ login: { type: 'bug_fix' } }), 'login', { templatesDir: dir });
    assert.equal(bug.text, 'CUSTOM login: POST /login checks the password and returns a token.\n');
    assert.equal(bug.template, join(dir, 'bug_fix.liquid'));

    // Other types keep the bundled template but pick up the overridden partial.
    const feature = await buildPrompt(samplePlan(), 'login', { templatesDir: dir });
    assert.match(feature.text, /## How to build this feature/);
    assert.match(feature.text, /## House rules\n\n- Sign every commit\./);
    assert.doesNotMatch(feature.text, /## Ground rules/);
  });

  it('accepts a copy of the whole templates folder', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'prompts'));
    writeFileSync(join(dir, 'prompts', 'docs.liquid'), 'DOCS {{ task.title }}\n');
    const built = await buildPrompt(samplePlan({ login: { type: 'docs' } }), 'login', { templatesDir: dir });
    assert.equal(built.text, 'DOCS Add the login endpoint\n');
  });

  it('names the missing override folder', () => {
    assert.throws(() => createTemplateLoader({ overrideDir: '/no/such/weft-templates' }), /templates folder not found: \/no\/such\/weft-templates/);
  });

  it('names the template file that fails to parse', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'feature.liquid'), 'line one\n{% if task.id %}\nnever closed\n');
    await assert.rejects(buildPrompt(samplePlan(), 'login', { templatesDir: dir }), (err: unknown) => {
      assert.ok(err instanceof InputError);
      assert.ok(err.message.startsWith(join(dir, 'feature.liquid')), err.message);
      assert.match(err.message, /bad prompt template/);
      return true;
    });

    const partial = tempDir();
    writeFileSync(join(partial, '_feedback.liquid'), '{{ feedback | no_such_filter }}\n');
    await assert.rejects(buildPrompt(samplePlan(), 'login', { templatesDir: partial }), (err: unknown) => {
      assert.ok(err instanceof InputError);
      assert.ok(err.message.startsWith(join(partial, '_feedback.liquid')), err.message);
      return true;
    });
  });
});
