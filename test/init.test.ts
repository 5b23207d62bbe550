import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { initProject } from '../src/cli/init.js';
import { defaultConfig } from '../src/config/config-schema.js';
import { loadConfig } from '../src/config/load-config.js';
import { InputError } from '../src/core/errors.js';
import { buildPlan } from '../src/plan/build-plan.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'weft-init-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('initProject', () => {
  it('creates the directory and writes the three starter files', async () => {
    const dir = join(root, 'new', 'project');
    const written = await initProject(dir, {});
    assert.deepEqual(written, [join(dir, 'REQUIREMENTS.md'), join(dir, 'STRUCTURE.md'), join(dir, 'weft.config.yaml')]);
    assert.deepEqual((await readdir(dir)).sort(), ['REQUIREMENTS.md', 'STRUCTURE.md', 'weft.config.yaml']);
  });

  it('writes a config that loads, explaining its keys in comments', async () => {
    await initProject(root, {});
    const { config, path } = await loadConfig({ cwd: root });
    assert.equal(path, join(root, 'weft.config.yaml'));
    assert.deepEqual(config, { ...defaultConfig(), agent: 'simulate' });
    const text = await readFile(join(root, 'weft.config.yaml'), 'utf8');
    for (const key of ['concurrency', 'maxAttempts', 'verify', 'routing', 'agents', 'retry', 'circuitBreaker', 'pr', 'server']) {
      assert.match(text, new RegExp(`^#.*\\n#? ?${key}:`, 'm'), `${key} should follow a comment`);
    }
  });

  it('writes requirements and structure that plan into a dependency graph', async () => {
    await initProject(root, {});
    const read = (name: string) => readFile(join(root, name), 'utf8');
    const plan = buildPlan({
      requirements: { text: await read('REQUIREMENTS.md'), file: 'REQUIREMENTS.md' },
      structure: { text: await read('STRUCTURE.md'), file: 'STRUCTURE.md' },
    });
    const requirements = new Set(plan.tasks.map((t) => t.requirementId));
    assert.ok(requirements.size >= 4, `requirements: ${[...requirements].join(', ')}`);
    assert.ok(plan.tasks.some((t) => t.status === 'done'), 'shows a done checklist item');
    assert.ok(plan.tasks.some((t) => t.acceptanceCriteria.length > 0), 'shows acceptance criteria');
    assert.ok(plan.phases.length >= 3, 'has a real dependency chain');
  });

  it('refuses to overwrite existing files, naming them, and changes nothing', async () => {
    await writeFile(join(root, 'REQUIREMENTS.md'), '# Mine\n');
    await assert.rejects(initProject(root, {}), (err: unknown) => {
      assert.ok(err instanceof InputError);
      assert.match(err.message, /REQUIREMENTS\.md already exists; use --force to overwrite/);
      assert.deepEqual(err.details?.files, ['REQUIREMENTS.md']);
      return true;
    });
    assert.equal(await readFile(join(root, 'REQUIREMENTS.md'), 'utf8'), '# Mine\n');
    assert.deepEqual(await readdir(root), ['REQUIREMENTS.md']);
  });

  it('overwrites with force', async () => {
    await writeFile(join(root, 'weft.config.yaml'), 'concurrency: 1\n');
    const written = await initProject(root, { force: true });
    assert.equal(written.length, 3);
    assert.equal((await loadConfig({ cwd: root })).config.concurrency, 4);
  });
});
