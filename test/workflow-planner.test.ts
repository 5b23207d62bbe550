/** The pure planner: what becomes ready, skipped or finished, driven here step by step without a store. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../src/store/records.js';
import { parseWorkflow } from '../src/workflow/parse-workflow.js';
import { planWorkflow, resolveInputs, type StepView } from '../src/workflow/planner.js';
import { evaluate, interpolate } from '../src/workflow/expressions.js';

/** Plans to a fixed point, then "runs" every ready leaf with `run(key)`; records what ran at once. */
function drive(yaml: string, run: (key: string, rows: Map<string, StepView>) => { status: 'succeeded' | 'failed'; output?: Json } | 'hold', opts: { inputs?: { [k: string]: Json }; rounds?: number; cancelAfter?: number } = {}) {
  const def = parseWorkflow(yaml, 'w.yaml');
  const inputs = resolveInputs(def, opts.inputs ?? {});
  const rows = new Map<string, StepView>();
  const rounds: string[][] = [];
  let done: ReturnType<typeof planWorkflow>['done'] = null;
  for (let round = 0; round < (opts.rounds ?? 100); round++) {
    const cancelled = opts.cancelAfter !== undefined && round >= opts.cancelAfter;
    for (;;) {
      const out = planWorkflow({ root: def, used: {} }, [...rows.values()], inputs, { now: 0, cancelled });
      for (const d of out.decisions) {
        if (d.type === 'create') rows.set(d.step.key, { key: d.step.key, stepId: d.step.stepId, kind: d.step.kind, status: d.step.status, output: d.step.output ?? null, state: d.step.state, error: d.step.error ?? null });
        else rows.set(d.key, { ...rows.get(d.key)!, status: d.end.status, output: d.end.output ?? null, error: d.end.error ?? null });
      }
      done = out.done;
      if (out.decisions.length === 0) break;
    }
    if (done) break;
    const ready = [...rows.values()].filter((r) => (r.status === 'pending' || r.status === 'running') && !['parallel', 'sequence', 'foreach', 'until', 'uses', 'iteration'].includes(r.kind));
    rounds.push(ready.map((r) => r.key));
    let moved = false;
    for (const r of ready) {
      const res = run(r.key, rows);
      if (res === 'hold') {
        rows.set(r.key, { ...r, status: 'running' });
        continue;
      }
      moved = true;
      rows.set(r.key, { ...r, status: res.status, output: res.output ?? null });
    }
    if (!moved && !cancelled && opts.cancelAfter === undefined) break;
  }
  return { rows, rounds, done };
}

const ok = (output: Json = null) => ({ status: 'succeeded' as const, output });

test('a sequence runs in order; if: false skips a step and later steps still run', () => {
  const { rows, rounds, done } = drive(
    `
name: s
inputs:
  env: { default: staging }
steps:
  - { id: a, run: [a] }
  - { id: b, if: 'inputs.env == "prod"', run: [b] }
  - { id: c, run: [c] }
`,
    () => ok(),
  );
  assert.deepEqual(rounds, [['a'], ['c']]);
  assert.equal(rows.get('b')?.status, 'skipped');
  assert.equal(done?.status, 'succeeded');
});

test('a failure skips what needs it (transitively) but not independent branches', () => {
  const { rows, done } = drive(
    `
name: f
steps:
  - id: g
    parallel:
      - { id: a, run: [a] }
      - { id: b, needs: [a], run: [b] }
      - { id: c, needs: [b], run: [c] }
      - { id: d, run: [d] }
`,
    (key) => (key === 'g/a' ? { status: 'failed' } : ok()),
  );
  assert.equal(rows.get('g/b')?.status, 'skipped');
  assert.equal(rows.get('g/c')?.status, 'skipped');
  assert.equal(rows.get('g/d')?.status, 'succeeded');
  assert.equal(rows.get('g')?.status, 'failed');
  assert.equal(done?.status, 'failed');
});

test('foreach over 5 items with concurrency 2 never has more than 2 iterations live; outputs keep item order', () => {
  let live = 0;
  let maxLive = 0;
  const { rows, done } = drive(
    `
name: e
inputs:
  items: { type: array, default: [1, 2, 3, 4, 5] }
steps:
  - id: each
    foreach:
      items: inputs.items
      concurrency: 2
      steps:
        - { id: x, run: [x] }
`,
    (key, r) => {
      live = [...r.values()].filter((v) => v.kind === 'iteration' && v.status === 'running').length;
      maxLive = Math.max(maxLive, live);
      const idx = Number(/#(\d+)/.exec(key)![1]);
      return ok((r.get(`each/#${idx}`)!.state.item as number) * 10);
    },
  );
  assert.equal(maxLive, 2);
  assert.deepEqual(rows.get('each')?.output, [10, 20, 30, 40, 50]);
  assert.equal(done?.status, 'succeeded');
});

test('until repeats its body until the condition holds, and fails after max iterations', () => {
  const met = drive(
    `
name: u
steps:
  - id: loop
    until: { condition: 'steps.probe.output >= 3', max: 5, steps: [{ id: probe, run: [p] }] }
`,
    (key) => ok(Number(/#(\d+)/.exec(key)![1]) + 1),
  );
  assert.deepEqual(met.rows.get('loop')?.output, { iterations: 3, output: 3 });
  assert.equal(met.done?.status, 'succeeded');
  const never = drive(
    `
name: u
steps:
  - id: loop
    until: { condition: 'false', max: 2, steps: [{ id: probe, run: [p] }] }
`,
    () => ok(),
  );
  assert.equal(never.rows.get('loop')?.status, 'failed');
  assert.match(never.rows.get('loop')?.error ?? '', /after 2 iterations/);
});

test('approval waits are created waiting; cancelling ends them and the run is cancelled', () => {
  const { rows, done } = drive(
    `
name: a
steps:
  - { id: build, run: [b] }
  - { id: ok, wait: { approval: true } }
  - { id: ship, run: [s] }
`,
    () => ok(),
    { cancelAfter: 2, rounds: 4 },
  );
  assert.equal(rows.get('ok')?.status, 'cancelled');
  assert.equal(rows.has('ship'), false);
  assert.equal(done?.status, 'cancelled');
});

test('expressions read inputs and step outputs but reach nothing else', () => {
  const ctx = { inputs: { n: 2, list: ['a', 'b'] }, steps: { s: { status: 'succeeded', output: { ok: true } } } };
  assert.equal(evaluate('inputs.n * 3 + 1', ctx), 7);
  assert.equal(evaluate('steps.s.output.ok && contains(inputs.list, "b")', ctx), true);
  assert.equal(evaluate('inputs.constructor', ctx), undefined);
  assert.equal(evaluate('inputs.list.length', ctx), 2);
  assert.throws(() => evaluate('process.exit(1)', ctx), /only these functions/);
  assert.throws(() => evaluate('this', ctx), /not allowed/);
  assert.deepEqual(interpolate(['echo', '${{ inputs.list }}', 'n=${{ inputs.n }}'], ctx), ['echo', ['a', 'b'], 'n=2']);
});

test('schema errors name the file, line and key', () => {
  assert.throws(() => parseWorkflow('name: x\nsteps:\n  - id: a\n    run: [a]\n  - id: a\n    run: [b]\n', 'w.yaml'), /w\.yaml:5: steps\[1\] \(a\)\.id: step id "a" is used twice/);
  assert.throws(() => parseWorkflow('name: x\nsteps:\n  - id: a\n    foreach: { items: [1], steps: [{ id: b, runn: [x] }] }\n', 'w.yaml'), /w\.yaml:4: .*Unrecognized key/);
  assert.throws(() => parseWorkflow('name: x\nsteps:\n  - id: a\n    wait: {}\n', 'w.yaml'), /w\.yaml:4: steps\[0\] \(a\)\.wait: a wait has exactly one/);
  assert.throws(() => parseWorkflow('name: x\non:\n  schedule: "every day"\nsteps:\n  - { id: a, run: [a] }\n', 'w.yaml'), /w\.yaml:3: on\.schedule: bad cron pattern "every day"/);
  assert.throws(() => resolveInputs(parseWorkflow('name: x\ninputs:\n  n: { type: number }\nsteps:\n  - { id: a, run: [a] }\n'), { n: 'abc' }), /must be a number/);
});
