/** Cancel semantics, the same from the CLI and the API: a finished run or task is "already finished" and unchanged; a never-started run becomes cancelled. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultConfig } from '../src/config/config-schema.js';
import { createSimulateAgent } from '../src/engine/simulate-agent.js';
import { buildPlan } from '../src/plan/build-plan.js';
import { buildServer } from '../src/server/build-server.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import { Weft } from '../src/weft.js';
import { runWeft } from './helpers/weft-process.js';

const DOC = '# Shop\n\n## A: Schema\nDo it.\n\n## B: Accounts\nDepends on: A\n\nDo it.\n';
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'weft-cancel-'));
  dirs.push(dir);
  const db = join(dir, 'weft.db');
  const store = openSqliteStore(db);
  await store.migrate();
  const weft = new Weft(defaultConfig(), store, dir, () => createSimulateAgent({ scale: 0, failRate: 0, seed: 1 }));
  const plan = buildPlan({ requirements: { text: DOC, file: 'R.md' } });
  const finished = await weft.createRun(plan, { agent: 'simulate' });
  await weft.executeRun(finished.id);
  const pending = await weft.createRun(plan, { agent: 'simulate' });
  return { dir, db, weft, finished: (await store.getRun(finished.id))!, pending };
}

describe('weft cancel (CLI)', () => {
  it('a finished run: exit 2 "already finished", nothing changed', async () => {
    const { dir, db, weft, finished } = await setup();
    await weft.close();
    const r = await runWeft(['cancel', finished.id, '--db', db], { cwd: dir });
    assert.equal(r.code, 2, r.output);
    assert.match(r.output, /already finished \(succeeded\)/);
    const store = openSqliteStore(db);
    const after = (await store.getRun(finished.id))!;
    assert.equal(after.status, 'succeeded');
    assert.equal(after.finishedAt, finished.finishedAt);
    assert.equal(after.cancelRequested, false);
    const task = await runWeft(['cancel', `${finished.id}/A`, '--db', db], { cwd: dir });
    assert.equal(task.code, 2, task.output);
    assert.match(task.output, /task A .* already finished/);
    assert.equal((await store.getTask(finished.id, 'A'))!.status, 'succeeded');
    await store.close();
  });

  it('a never-started run becomes cancelled', async () => {
    const { dir, db, weft, pending } = await setup();
    await weft.close();
    const r = await runWeft(['cancel', pending.id, '--db', db], { cwd: dir });
    assert.equal(r.code, 0, r.output);
    const store = openSqliteStore(db);
    assert.equal((await store.getRun(pending.id))!.status, 'cancelled');
    assert.deepEqual((await store.listTasks(pending.id)).map((t) => t.status), ['cancelled', 'cancelled']);
    await store.close();
  });
});

describe('cancel (API), the same rules', () => {
  it('a finished run or task is 409 already finished and unchanged; a never-started run becomes cancelled', async () => {
    const { weft, finished, pending } = await setup();
    const app = await buildServer({ weft, validateResponses: true, tokens: [] });
    try {
      const run = await app.inject({ method: 'POST', url: `/api/v1/runs/${finished.id}/cancel` });
      assert.equal(run.statusCode, 409, run.body);
      assert.match(run.json<{ error: { message: string } }>().error.message, /already finished/);
      const task = await app.inject({ method: 'DELETE', url: `/api/v1/tasks/${finished.id}:A` });
      assert.ok([409].includes(task.statusCode), task.body);
      assert.equal((await weft.store.getRun(finished.id))!.status, 'succeeded');
      assert.equal((await weft.store.getRun(finished.id))!.finishedAt, finished.finishedAt);
      const ok = await app.inject({ method: 'POST', url: `/api/v1/runs/${pending.id}/cancel` });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(ok.json<{ run: { status: string } }>().run.status, 'cancelled');
    } finally {
      await app.close();
      await weft.close();
    }
  });
});
