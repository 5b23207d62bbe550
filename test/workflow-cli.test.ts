/**
 * Workflows through the real CLI: create, execute, approve; SIGKILL mid-run and resume; a handler
 * registered through the library API. Run steps append to a log file so we can count what ran.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStore } from '../src/store/open-store.js';
import { loadConfig } from '../src/config/load-config.js';
import { Weft } from '../src/weft.js';
import type { Json } from '../src/store/records.js';

const MAIN = join(import.meta.dirname, '../src/cli/main.ts');
const TSX = join(import.meta.dirname, '../node_modules/tsx/dist/loader.mjs');

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'weft-wfcli-'));
  spawnSync('git', ['init', '-q', '-b', 'main', dir]);
  writeFileSync(join(dir, 'README.md'), '# demo\n');
  spawnSync('git', ['-C', dir, 'add', '.']);
  spawnSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init']);
  const env = { ...process.env, XDG_CACHE_HOME: join(dir, '.cache'), WEFT_SIM_SCALE: '1' };
  const db = join(dir, 'weft.db');
  const cli = (args: string[]) => spawnSync(process.execPath, ['--import', `file://${TSX}`, MAIN, ...args, '--db', db], { cwd: dir, env, encoding: 'utf8' });
  const bg = (args: string[]) => spawn(process.execPath, ['--import', `file://${TSX}`, MAIN, ...args, '--db', db], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return { dir, db, cli, bg };
}

/** The workflow the checks describe: condition, parallel group, foreach 5 × 2, until, approval, plan, run. */
/** Each deploy waits for its gate file (`gate-ITEM` next to the log) before it ends, so a test decides when. */
function workflowYaml(log: string): string {
  const gates = dirname(log);
  const mark = (label: string) => ['sh', '-c', `echo "start ${label}" >> ${log}; echo "end ${label}" >> ${log}`];
  return `
name: Release train
description: everything at once
inputs:
  env: { type: string, default: staging }
  services: { type: array, default: [api, web, worker, cron, docs] }
steps:
  - id: build
    run: ${JSON.stringify(mark('build'))}
  - id: prod-gate
    if: inputs.env == "prod"
    run: ${JSON.stringify(mark('prod-gate'))}
  - id: checks
    parallel:
      - id: lint
        run: ${JSON.stringify(mark('lint'))}
      - id: unit
        run: ${JSON.stringify(mark('unit'))}
  - id: deploy
    foreach:
      items: inputs.services
      concurrency: 2
      steps:
        - id: one
          run: ${JSON.stringify(['sh', '-c', `echo "start deploy-\${{ item }}" >> ${log}; while [ ! -f ${gates}/gate-\${{ item }} ]; do sleep 0.05; done; echo "end deploy-\${{ item }}" >> ${log}`])}
  - id: settle
    until:
      condition: steps.probe.output.json.ready
      max: 5
      steps:
        - id: probe
          run: [sh, -c, "echo probe >> ${log}; if [ \${{ iteration }} -ge 2 ]; then echo '{\\"ready\\": true}'; else echo '{\\"ready\\": false}'; fi"]
  - id: ship-it
    wait: { approval: { message: "Ship to \${{ inputs.env }}?" } }
  - id: implement
    plan:
      agent: simulate
      text: |
        # Follow-up
        ## Cleanup
        - [ ] Remove the old flag
        - [ ] Update the changelog
  - id: announce
    run: [sh, -c, "echo announced \${{ steps.implement.output.status }} >> ${log}"]
`;
}

const SERVICES = ['api', 'web', 'worker', 'cron', 'docs'];
const count = (lines: string[], line: string) => lines.filter((l) => l === line).length;

async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, tries = 600): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v) return v;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('create, execute and approve over the CLI: every step kind runs once, the skipped one is shown as skipped', async () => {
  const { dir, db, cli, bg } = setup();
  const log = join(dir, 'ran.log');
  writeFileSync(join(dir, 'release.yaml'), workflowYaml(log));
  for (const item of SERVICES) writeFileSync(join(dir, `gate-${item}`), '');
  const created = cli(['workflow', 'create', '--file', 'release.yaml']);
  assert.equal(created.status, 0, created.stderr);
  assert.equal(created.stdout.trim(), 'release-train');
  const listed = cli(['workflow', 'list']);
  assert.match(listed.stdout, /release-train\s+Release train/);

  const child = bg(['workflow', 'execute', 'release-train', '--input', 'env=staging']);
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const store = await openStore(db);
  try {
    const run = await waitFor('the approval wait', async () => {
      const [r] = await store.workflows.listWorkflowRuns({ limit: 1 });
      if (!r) return undefined;
      const steps = await store.workflows.listSteps(r.id);
      return steps.some((s) => s.key === 'ship-it' && s.status === 'waiting') ? r : undefined;
    });
    const status = cli(['workflow', 'status', run.id]);
    assert.match(status.stdout, /ship-it \(wait\) waiting — waiting for approval/);
    assert.match(status.stdout, /- prod-gate \(run\) skipped/);
    // Nothing after the approval has started.
    assert.equal((await store.workflows.getStep(run.id, 'implement')), undefined);
    const approved = cli(['workflow', 'approve', run.id, 'ship-it', '--comment', 'go']);
    assert.equal(approved.status, 0, approved.stderr);
    assert.equal(await exited, 0, stderr);

    const final = JSON.parse(cli(['workflow', 'status', run.id, '--json']).stdout) as { status: string; steps: { key: string; status: string; output: Json }[] };
    assert.equal(final.status, 'succeeded');
    const byKey = new Map(final.steps.map((s) => [s.key, s]));
    assert.equal(byKey.get('prod-gate')?.status, 'skipped');
    assert.equal(byKey.get('settle')?.status, 'succeeded');
    assert.deepEqual(byKey.get('settle')?.output, { iterations: 3, output: (byKey.get('settle/#2/probe')?.output ?? null) });
    assert.deepEqual((byKey.get('ship-it')?.output as { approved: boolean; comment: string }).approved, true);
    const plan = byKey.get('implement')?.output as { runId: string; status: string; tasks: unknown[] };
    assert.equal(plan.status, 'succeeded');
    assert.equal(plan.tasks.length, 2);
    assert.equal((await store.getRun(plan.runId))?.status, 'succeeded');

    const lines = readFileSync(log, 'utf8').trim().split('\n');
    for (const label of ['build', 'lint', 'unit', 'deploy-api', 'deploy-web', 'deploy-worker', 'deploy-cron', 'deploy-docs']) assert.equal(count(lines, `end ${label}`), 1, label);
    assert.equal(count(lines, 'start prod-gate'), 0);
    assert.equal(count(lines, 'probe'), 3);
    assert.equal(count(lines, 'announced succeeded'), 1);
    // Step events went to the shared event log.
    const events = await store.listEvents({ runId: run.id });
    assert.ok(events.some((e) => e.type === 'step.finished' && e.taskId === 'deploy/#4/one'));
    assert.ok(events.some((e) => e.type === 'workflow.finished'));
  } finally {
    await store.close();
  }
});

test('SIGKILL in the middle of the foreach, then resume: finished steps are not run again and each step completes once', async () => {
  const { dir, db, cli, bg } = setup();
  const log = join(dir, 'ran.log');
  writeFileSync(join(dir, 'release.yaml'), workflowYaml(log));
  for (const item of ['api', 'web']) writeFileSync(join(dir, `gate-${item}`), '');
  const child = bg(['workflow', 'execute', 'release.yaml']);
  const store = await openStore(db);
  try {
    // api and web are done; worker and cron are running (waiting for their gates) when weft is killed.
    const [first] = await waitFor('two deploys in flight', async () => {
      if (!existsSync(log) || count(readFileSync(log, 'utf8').split('\n'), 'end deploy-web') !== 1) return undefined;
      const [r] = await store.workflows.listWorkflowRuns({ limit: 1 });
      if (!r) return undefined;
      const pids = await Promise.all(['deploy/#2/one', 'deploy/#3/one'].map(async (k) => (await store.workflows.getStep(r.id, k))?.state.pid));
      return pids.every((p) => typeof p === 'number') ? [r, pids] as const : undefined;
    });
    void first;
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('close', resolve));
    const [run] = await store.workflows.listWorkflowRuns({ limit: 1 });
    assert.ok(run);
    assert.equal(run.status, 'running');
    const before = readFileSync(log, 'utf8').trim().split('\n');

    const oldPid = (await store.workflows.getStep(run.id, 'deploy/#2/one'))?.state.pid;
    const resumed = bg(['workflow', 'resume', run.id]);
    const resumedExit = new Promise<number | null>((resolve) => resumed.on('close', resolve));
    // Once the resumed weft has started worker's deploy again, the command the killed weft left behind is gone.
    await waitFor('the interrupted deploy to start again', async () => {
      const s = await store.workflows.getStep(run.id, 'deploy/#2/one');
      return s?.status === 'running' && typeof s.state.pid === 'number' && s.state.pid !== oldPid;
    });
    for (const item of ['worker', 'cron', 'web', 'docs']) writeFileSync(join(dir, `gate-${item}`), '');
    await waitFor('the approval wait', async () => (await store.workflows.getStep(run.id, 'ship-it'))?.status === 'waiting');
    assert.equal(cli(['workflow', 'approve', run.id, 'ship-it']).status, 0);
    assert.equal(await resumedExit, 0);

    const after = readFileSync(log, 'utf8').trim().split('\n');
    // What had finished before the kill ran exactly once.
    for (const label of ['build', 'lint', 'unit', 'deploy-api']) {
      assert.equal(count(before, `end ${label}`), 1, label);
      assert.equal(count(after, `start ${label}`), 1, label);
    }
    // Every step completed once: one end line each (an interrupted command was killed before its step ran again).
    for (const label of ['deploy-web', 'deploy-worker', 'deploy-cron', 'deploy-docs']) assert.equal(count(after, `end ${label}`), 1, label);
    assert.equal(count(after, 'announced succeeded'), 1);
    const steps = await store.workflows.listSteps(run.id);
    assert.ok(steps.every((s) => s.status === 'succeeded' || (s.key === 'prod-gate' && s.status === 'skipped')), JSON.stringify(steps.map((s) => [s.key, s.status])));
    assert.equal((await store.workflows.getWorkflowRun(run.id))?.status, 'succeeded');
    // The plan step's weft run exists once.
    assert.equal((await store.listRuns()).length, 1);
  } finally {
    await store.close();
  }
});

test('a handler registered through the library API receives the task input and its output is stored', async () => {
  const { dir, db } = setup();
  const store = await openStore(db);
  const { config } = await loadConfig({ cwd: dir });
  const weft = new Weft(config, store, dir);
  const seen: Json[] = [];
  weft.registerTaskHandler('lint_check', (task) => {
    seen.push(task.input);
    return { issues: (task.input as { files: string[] }).files.length, by: task.type };
  });
  try {
    writeFileSync(
      join(dir, 'h.yaml'),
      `
name: Handlers
inputs:
  files: { type: array, default: [a.ts, b.ts] }
steps:
  - id: lint
    task: { type: lint_check, input: { files: "\${{ inputs.files }}" } }
  - id: inventory
    task: { type: code_analysis }
  - id: report
    if: steps.lint.output.output.issues == 2
    run: [echo, "\${{ steps.lint.output.output.issues }} issues"]
`,
    );
    const run = await weft.workflows.start('h.yaml');
    const done = await weft.workflows.execute(run.id);
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.deepEqual(seen, [{ files: ['a.ts', 'b.ts'] }]);
    const lint = await store.workflows.getStep(run.id, 'lint');
    assert.deepEqual(lint?.output, { type: 'lint_check', input: { files: ['a.ts', 'b.ts'] }, output: { issues: 2, by: 'lint_check' } });
    const inv = (await store.workflows.getStep(run.id, 'inventory'))?.output as { output: { files: number; languages: { [k: string]: unknown } } };
    assert.ok(inv.output.files >= 1);
    assert.ok('Markdown' in inv.output.languages);
    const report = await store.workflows.getStep(run.id, 'report');
    assert.equal((report?.output as { stdout: string }).stdout, '2 issues\n');
  } finally {
    await weft.close();
  }
});

test('a handler from config `handlers:` gets the task on stdin; `uses:` runs another workflow with inputs; the shipped templates parse', async () => {
  const { dir, db, cli } = setup();
  writeFileSync(
    join(dir, 'weft.config.yaml'),
    `handlers:\n  word_count:\n    command: [node, -e, "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const t=JSON.parse(s);console.log(JSON.stringify({words:t.input.text.split(' ').length,type:t.type}))})"]\n`,
  );
  const made = cli(['task', 'create', '--name', 'Count', '--type', 'word_count', '--input', '{"text": "one two three"}', '--json', '--quiet']);
  assert.equal(made.status, 0, made.stderr);
  const listed = JSON.parse(cli(['task', 'list', '--json']).stdout) as { status: string; input_data: Json; output_data: Json }[];
  assert.equal(listed.length, 1);
  assert.equal(listed[0]!.status, 'succeeded');
  assert.deepEqual(listed[0]!.input_data, { text: 'one two three' });
  assert.deepEqual(listed[0]!.output_data, { words: 3, type: 'word_count' });
  assert.equal(cli(['task', 'create', '--name', 'x', '--type', 'no_such_handler']).status, 2);

  const log = join(dir, 'uses.log');
  writeFileSync(join(dir, 'greet.yaml'), `name: greet\ninputs:\n  who: { type: string, required: true }\nsteps:\n  - { id: say, run: [sh, -c, "echo hello \${{ inputs.who }} >> ${log}"] }\n`);
  writeFileSync(join(dir, 'outer.yaml'), `name: outer\nsteps:\n  - { id: first, uses: greet.yaml, with: { who: world } }\n  - { id: second, uses: greet.yaml, with: { who: "\${{ steps.first.status }}" } }\n`);
  const ran = cli(['workflow', 'execute', 'outer.yaml', '--quiet']);
  assert.equal(ran.status, 0, ran.stderr);
  assert.equal(readFileSync(log, 'utf8'), 'hello world\nhello succeeded\n');

  const { readWorkflowFile } = await import('../src/workflow/parse-workflow.js');
  const { templatesDir, TEMPLATE_NAMES } = await import('../src/workflow/workflows.js');
  for (const name of TEMPLATE_NAMES) assert.equal((await readWorkflowFile(join(templatesDir(), `${name}.yaml`))).def.name, name);
  void db;
});
