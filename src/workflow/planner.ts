/**
 * The pure heart of workflow execution: given the definition and the stored step instances, decides
 * which instances to create (ready, skipped or waiting) and which groups are finished. It never runs
 * anything; the executor applies its decisions (idempotently, so any number of workers may plan at once).
 */
import type { Json } from '../store/records.js';
import { TERMINAL_STEP_STATUSES, type NewStep, type StepEnd, type StepRecord, type StepStatus } from '../store/workflow-records.js';
import { childSteps, durationMs, stepKind, type RawStep, type WorkflowDef } from './definition.js';
import { evaluate, evaluateCondition, interpolate, interpolateText, type ExprContext } from './expressions.js';

/** A workflow and every workflow it `uses:`, by the name it is used under. */
export interface WorkflowBundle {
  root: WorkflowDef;
  used: Record<string, WorkflowDef>;
}

/** The slice of a step record the planner reads. */
export type StepView = Pick<StepRecord, 'key' | 'stepId' | 'kind' | 'status' | 'output' | 'state' | 'error'>;

export type Decision = { type: 'create'; step: NewStep } | { type: 'finish'; key: string; end: StepEnd };

export interface PlanOutcome {
  decisions: Decision[];
  /** Set when the whole workflow is over. */
  done: { status: 'succeeded' | 'failed' | 'cancelled'; error: string | null } | null;
}

/** Where a step instance sits: its definition, the inputs and loop variables it sees. */
interface Scope {
  /** Key prefix of the scope's root (the workflow, or a `uses` step's key + '/'). */
  root: string;
  steps: RawStep[];
  inputs: { [key: string]: Json };
  vars: { [key: string]: Json };
}

const isTerminal = (s: StepStatus) => TERMINAL_STEP_STATUSES.includes(s);
const GROUPS = new Set(['parallel', 'sequence', 'foreach', 'until', 'uses', 'iteration']);

/** Whether a failure (or a skip because of one) upstream keeps dependents from running. */
function isBlocking(v: StepView): boolean {
  return v.status === 'failed' || v.status === 'cancelled' || (v.status === 'skipped' && v.state.reason === 'needs');
}

/** Decides the next changes. `now` only stamps wait deadlines; the rest is a function of the rows. */
export function planWorkflow(bundle: WorkflowBundle, rows: readonly StepView[], inputs: { [key: string]: Json }, opts: { now: number; cancelled: boolean }): PlanOutcome {
  const view = new Map<string, StepView>(rows.map((r) => [r.key, r]));
  const decisions: Decision[] = [];
  const create = (step: NewStep) => {
    decisions.push({ type: 'create', step });
    view.set(step.key, { key: step.key, stepId: step.stepId, kind: step.kind, status: step.status, output: step.output ?? null, state: step.state, error: step.error ?? null });
  };
  const finish = (key: string, end: StepEnd) => {
    decisions.push({ type: 'finish', key, end });
    const v = view.get(key)!;
    view.set(key, { ...v, status: end.status, output: end.output ?? null, error: end.error ?? null });
  };
  const ctxFor = (scope: Scope, prefix: string): ExprContext => ({ inputs: scope.inputs, ...scope.vars, steps: stepsContext(scope, prefix, view) });

  /** Evaluates one list of sibling steps; returns whether all are over, and the aggregate status. */
  const evalList = (list: RawStep[], sequential: boolean, prefix: string, scope: Scope): { over: boolean; status: StepEnd['status'] } => {
    for (const s of topoOrder(list, sequential)) {
      const key = prefix + s.id;
      const row = view.get(key);
      if (row) {
        if (GROUPS.has(row.kind) && !isTerminal(row.status)) evalGroup(s, view.get(key)!, scope);
        continue;
      }
      if (opts.cancelled) continue;
      const deps = depsOf(list, s, sequential).map((d) => view.get(prefix + d));
      if (deps.some((d) => !d || !isTerminal(d.status))) continue;
      const blocking = deps.find((d) => isBlocking(d!));
      if (blocking) {
        create({ key, stepId: s.id, parentKey: parentOf(prefix), kind: stepKind(s), status: 'skipped', state: { reason: 'needs' }, notBefore: null, error: `skipped: ${blocking.stepId} ${blocking.status === 'skipped' ? 'was skipped' : blocking.status}` });
        continue;
      }
      try {
        if (s.if !== undefined && !evaluateCondition(stripTemplate(s.if), ctxFor(scope, prefix))) {
          create({ key, stepId: s.id, parentKey: parentOf(prefix), kind: stepKind(s), status: 'skipped', state: { reason: 'condition' }, notBefore: null, error: `skipped: if ${s.if} is false` });
          continue;
        }
        create(newInstance(s, key, parentOf(prefix), ctxFor(scope, prefix), bundle, opts.now));
      } catch (err) {
        create({ key, stepId: s.id, parentKey: parentOf(prefix), kind: stepKind(s), status: 'failed', state: {}, notBefore: null, error: (err as Error).message });
      }
    }
    const states = list.map((s) => view.get(prefix + s.id));
    const over = opts.cancelled ? states.every((v) => !v || isTerminal(v.status)) : states.every((v) => v && isTerminal(v.status));
    return { over, status: aggregate(states, opts.cancelled) };
  };

  const evalIteration = (row: StepView, body: RawStep[], scope: Scope): void => {
    const r = evalList(body, true, `${row.key}/`, scope);
    if (r.over) {
      const last = [...body].reverse().map((s) => view.get(`${row.key}/${s.id}`)).find((v) => v && v.status !== 'skipped');
      finish(row.key, { status: r.status, output: last?.output ?? null, error: r.status === 'succeeded' ? null : firstError(body, row.key, view) });
    }
  };

  const evalGroup = (s: RawStep, row: StepView, scope: Scope): void => {
    const kind = stepKind(s);
    if (kind === 'parallel' || kind === 'sequence') {
      const children = childSteps(s);
      const r = evalList(children, kind === 'sequence', `${row.key}/`, scope);
      if (r.over) finish(row.key, { status: r.status, output: outputsOf(children, `${row.key}/`, view), error: r.status === 'succeeded' ? null : firstError(children, row.key, view) });
      return;
    }
    if (kind === 'uses') {
      const used = bundle.used[s.uses!];
      if (!used) return finish(row.key, { status: 'failed', error: `workflow "${s.uses}" is not available` });
      const inner: Scope = { root: `${row.key}/`, steps: used.steps, inputs: (row.state.inputs ?? {}) as { [key: string]: Json }, vars: {} };
      const r = evalList(used.steps, true, inner.root, inner);
      if (r.over) finish(row.key, { status: r.status, output: outputsOf(used.steps, inner.root, view), error: r.status === 'succeeded' ? null : firstError(used.steps, row.key, view) });
      return;
    }
    const body = childSteps(s);
    if (kind === 'foreach') {
      const items = (row.state.items ?? []) as Json[];
      const limit = s.foreach!.concurrency ?? Math.max(1, items.length);
      const iters = items.map((_, i) => view.get(`${row.key}/#${i}`));
      for (const it of iters) if (it && !isTerminal(it.status)) evalIteration(it, body, iterScope(scope, { item: items[Number(it.key.slice(it.key.lastIndexOf('#') + 1))]!, index: Number(it.key.slice(it.key.lastIndexOf('#') + 1)) }));
      const now = items.map((_, i) => view.get(`${row.key}/#${i}`));
      let active = now.filter((v) => v && !isTerminal(v.status)).length;
      const failed = now.some((v) => v && (v.status === 'failed' || v.status === 'cancelled'));
      if (!failed && !opts.cancelled) {
        for (let i = 0; i < items.length && active < limit; i++) {
          if (now[i]) continue;
          create({ key: `${row.key}/#${i}`, stepId: s.id, parentKey: row.key, kind: 'iteration', status: 'running', state: { index: i, item: items[i]! }, notBefore: null });
          evalIteration(view.get(`${row.key}/#${i}`)!, body, iterScope(scope, { item: items[i]!, index: i }));
          active = items.map((_, j) => view.get(`${row.key}/#${j}`)).filter((v) => v && !isTerminal(v.status)).length;
        }
      }
      const fin = items.map((_, i) => view.get(`${row.key}/#${i}`));
      const anyLive = fin.some((v) => v && !isTerminal(v.status));
      const allDone = fin.every((v) => v && isTerminal(v.status));
      if (!anyLive && (allDone || failed || opts.cancelled)) {
        const status = aggregate(fin, true);
        finish(row.key, { status, output: fin.map((v) => v?.output ?? null), error: status === 'succeeded' ? null : (fin.find((v) => v && v.status !== 'succeeded')?.error ?? 'not every item ran') });
      }
      return;
    }
    // until: iterations one after another until the condition holds or `max` is reached.
    const { condition, max } = s.until!;
    let n = 0;
    while (view.has(`${row.key}/#${n + 1}`)) n++;
    const cur = view.get(`${row.key}/#${n}`);
    if (!cur) {
      if (opts.cancelled) return finish(row.key, { status: 'cancelled', error: 'cancelled' });
      create({ key: `${row.key}/#0`, stepId: s.id, parentKey: row.key, kind: 'iteration', status: 'running', state: { iteration: 0 }, notBefore: null });
      return evalIteration(view.get(`${row.key}/#0`)!, body, iterScope(scope, { iteration: 0 }));
    }
    if (!isTerminal(cur.status)) evalIteration(cur, body, iterScope(scope, { iteration: n }));
    const c = view.get(`${row.key}/#${n}`)!;
    if (!isTerminal(c.status)) return;
    if (c.status !== 'succeeded') return finish(row.key, { status: c.status === 'cancelled' ? 'cancelled' : 'failed', output: { iterations: n + 1, output: c.output }, error: c.error });
    let met: boolean;
    try {
      met = evaluateCondition(stripTemplate(condition), ctxFor(iterScope(scope, { iteration: n }), `${row.key}/#${n}/`));
    } catch (err) {
      return finish(row.key, { status: 'failed', error: (err as Error).message });
    }
    if (met) return finish(row.key, { status: 'succeeded', output: { iterations: n + 1, output: c.output } });
    if (n + 1 >= max) return finish(row.key, { status: 'failed', output: { iterations: n + 1, output: c.output }, error: `until: ${condition} still false after ${max} iterations`, category: 'validation' });
    if (opts.cancelled) return finish(row.key, { status: 'cancelled', error: 'cancelled' });
    create({ key: `${row.key}/#${n + 1}`, stepId: s.id, parentKey: row.key, kind: 'iteration', status: 'running', state: { iteration: n + 1 }, notBefore: null });
    evalIteration(view.get(`${row.key}/#${n + 1}`)!, body, iterScope(scope, { iteration: n + 1 }));
  };

  // Cancellation: nothing new starts; what is waiting or not yet claimed ends now.
  if (opts.cancelled) {
    for (const r of view.values()) if ((r.status === 'pending' || r.status === 'waiting') && !GROUPS.has(r.kind)) finish(r.key, { status: 'cancelled', error: 'cancelled', category: 'cancelled' });
  }
  const top: Scope = { root: '', steps: bundle.root.steps, inputs, vars: {} };
  const r = evalList(bundle.root.steps, true, '', top);
  const done = r.over ? { status: r.status, error: r.status === 'succeeded' ? null : (firstError(bundle.root.steps, '', view) ?? r.status) } : null;
  return { decisions, done: done && { status: done.status === 'skipped' ? 'succeeded' : done.status, error: done.error } };
}

function iterScope(scope: Scope, vars: { [key: string]: Json }): Scope {
  return { ...scope, vars: { ...scope.vars, ...vars } };
}

function parentOf(prefix: string): string | null {
  return prefix ? prefix.slice(0, -1) : null;
}

/** `${{ x }}` or plain `x`: both are the expression x. */
function stripTemplate(text: string): string {
  const m = /^\s*\$\{\{\s*([\s\S]*?)\s*\}\}\s*$/.exec(text);
  return m ? m[1]! : text;
}

/** Explicit `needs`; otherwise, in a sequence, the step before. */
function depsOf(list: RawStep[], s: RawStep, sequential: boolean): string[] {
  if (s.needs) return s.needs;
  if (!sequential) return [];
  const i = list.indexOf(s);
  return i > 0 ? [list[i - 1]!.id] : [];
}

/** Siblings in an order where every step comes after the ones it needs. */
function topoOrder(list: RawStep[], sequential: boolean): RawStep[] {
  const byId = new Map(list.map((s) => [s.id, s]));
  const out: RawStep[] = [];
  const seen = new Set<string>();
  const visit = (s: RawStep) => {
    if (seen.has(s.id)) return;
    seen.add(s.id);
    for (const d of depsOf(list, s, sequential)) {
      const dep = byId.get(d);
      if (dep) visit(dep);
    }
    out.push(s);
  };
  for (const s of list) visit(s);
  return out;
}

function aggregate(states: (StepView | undefined)[], cancelled: boolean): StepEnd['status'] {
  if (states.some((v) => v?.status === 'failed')) return 'failed';
  if (states.some((v) => v?.status === 'cancelled') || (cancelled && states.some((v) => !v))) return 'cancelled';
  return 'succeeded';
}

function outputsOf(list: RawStep[], prefix: string, view: Map<string, StepView>): Json {
  return Object.fromEntries(list.map((s) => [s.id, view.get(prefix + s.id)?.output ?? null]));
}

function firstError(list: RawStep[], key: string, view: Map<string, StepView>): string | null {
  const prefix = key ? `${key}/` : '';
  for (const v of view.values()) if (v.key.startsWith(prefix) && (v.status === 'failed' || v.status === 'cancelled') && v.error) return `${v.key}: ${v.error}`;
  void list;
  return null;
}

/** The instance to create for a step whose needs are met and whose condition holds. */
function newInstance(s: RawStep, key: string, parentKey: string | null, ctx: ExprContext, bundle: WorkflowBundle, now: number): NewStep {
  const kind = stepKind(s);
  const base = { key, stepId: s.id, parentKey, kind, notBefore: null, state: {} };
  switch (kind) {
    case 'parallel':
    case 'sequence':
      return { ...base, status: 'running' };
    case 'foreach': {
      const raw = s.foreach!.items;
      const items = typeof raw === 'string' ? evaluate(stripTemplate(raw), ctx) : interpolate(raw, ctx);
      if (!Array.isArray(items)) throw new Error(`foreach: items must be a list, got ${JSON.stringify(items ?? null)}`);
      return { ...base, status: 'running', state: { items } };
    }
    case 'until':
      return { ...base, status: 'running' };
    case 'uses': {
      const used = bundle.used[s.uses!];
      if (!used) throw new Error(`workflow "${s.uses}" is not available`);
      return { ...base, status: 'running', state: { inputs: resolveInputs(used, interpolate((s.with ?? {}) as Json, ctx) as { [key: string]: Json }) } };
    }
    case 'wait': {
      const w = s.wait!;
      if (w.duration !== undefined) return { ...base, status: 'pending', notBefore: now + durationMs(w.duration), state: { until: now + durationMs(w.duration) } };
      if (w.until !== undefined) {
        const at = Date.parse(interpolateText(w.until, ctx));
        if (Number.isNaN(at)) throw new Error(`wait.until: not a time: ${w.until}`);
        return { ...base, status: 'pending', notBefore: at, state: { until: at } };
      }
      if (w.approval !== undefined) return { ...base, status: 'waiting', state: { approval: { message: typeof w.approval === 'object' && w.approval.message ? interpolateText(w.approval.message, ctx) : null } } };
      if (w.event !== undefined) return { ...base, status: 'waiting', state: { event: w.event, match: (interpolate((w.match ?? {}) as Json, ctx) ?? {}) as Json } };
      return { ...base, status: 'pending' };
    }
    default:
      return { ...base, status: 'pending' };
  }
}

/** Checks and completes inputs against a workflow's `inputs:` (defaults filled, types checked). */
export function resolveInputs(def: WorkflowDef, given: { [key: string]: Json }): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  const declared = def.inputs ?? {};
  for (const name of Object.keys(given)) if (!(name in declared)) throw new Error(`unknown input "${name}" (inputs of ${def.name}: ${Object.keys(declared).join(', ') || 'none'})`);
  for (const [name, d] of Object.entries(declared)) {
    let v = given[name] ?? d.default;
    if (v === undefined) {
      if (d.required) throw new Error(`input "${name}" is required`);
      continue;
    }
    if (typeof v === 'string' && d.type !== 'string') v = coerce(v, d.type, name);
    const actual = Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
    if (actual !== d.type) throw new Error(`input "${name}" must be a ${d.type}, got ${actual}`);
    out[name] = v;
  }
  return out;
}

function coerce(v: string, type: string, name: string): Json {
  if (type === 'number' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  if (type === 'boolean' && (v === 'true' || v === 'false')) return v === 'true';
  if (type === 'array' || type === 'object') {
    try {
      return JSON.parse(v) as Json;
    } catch {
      if (type === 'array') return v.split(',').map((x) => x.trim()).filter(Boolean);
    }
  }
  throw new Error(`input "${name}" must be a ${type}, got "${v}"`);
}

/** Definition paths of a scope's steps with `#` where an iteration index goes (`each/#/deploy`). */
function templates(steps: RawStep[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const walk = (list: RawStep[], path: string[]) => {
    for (const s of list) {
      const here = [...path, s.id];
      out.set(s.id, here);
      const k = stepKind(s);
      if (k === 'parallel' || k === 'sequence') walk(childSteps(s), here);
      if (k === 'foreach' || k === 'until') walk(childSteps(s), [...here, '#']);
    }
  };
  walk(steps, []);
  return out;
}

const templateCache = new WeakMap<RawStep[], Map<string, string[]>>();

/** `steps.<id>` as an expression sees it from `prefix`: the instance in the same iteration, where there is one. */
function stepsContext(scope: Scope, prefix: string, view: Map<string, StepView>): Json {
  let t = templateCache.get(scope.steps);
  if (!t) templateCache.set(scope.steps, (t = templates(scope.steps)));
  const here = prefix.slice(scope.root.length).split('/').filter(Boolean);
  const out: { [id: string]: Json } = {};
  for (const [id, tpl] of t) {
    const segs: string[] = [];
    let ok = true;
    for (let i = 0; i < tpl.length; i++) {
      if (tpl[i] !== '#') segs.push(tpl[i]!);
      else if (here[i]?.startsWith('#') && segs.every((x, j) => here[j] === x)) segs.push(here[i]!);
      else {
        ok = false;
        break;
      }
    }
    const v = ok ? view.get(scope.root + segs.join('/')) : undefined;
    if (v) out[id] = { status: v.status, output: v.output, error: v.error };
  }
  return out;
}

/** The definition of the step at `key`, and what its expressions see (for the executor's interpolation). */
export function locateStep(bundle: WorkflowBundle, rows: readonly StepView[], inputs: { [key: string]: Json }, key: string): { step: RawStep; ctx: ExprContext } {
  const view = new Map(rows.map((r) => [r.key, r]));
  const segs = key.split('/');
  let scope: Scope = { root: '', steps: bundle.root.steps, inputs, vars: {} };
  let list = bundle.root.steps;
  let prefix = '';
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const s = list.find((x) => x.id === seg);
    if (!s) throw new Error(`no step ${key} in the workflow`);
    prefix += seg;
    if (i === segs.length - 1) return { step: s, ctx: { inputs: scope.inputs, ...scope.vars, steps: stepsContext(scope, prefix.slice(0, prefix.length - seg.length), view) } };
    const k = stepKind(s);
    const row = view.get(prefix);
    prefix += '/';
    if (k === 'foreach' || k === 'until') {
      const idx = Number(segs[++i]!.slice(1));
      prefix += `#${idx}/`;
      const items = (row?.state.items ?? []) as Json[];
      scope = iterScope(scope, k === 'foreach' ? { item: items[idx] ?? null, index: idx } : { iteration: idx });
      list = childSteps(s);
    } else if (k === 'uses') {
      const used = bundle.used[s.uses!]!;
      scope = { root: prefix, steps: used.steps, inputs: (row?.state.inputs ?? {}) as { [key: string]: Json }, vars: {} };
      list = used.steps;
    } else list = childSteps(s);
  }
  throw new Error(`no step ${key} in the workflow`);
}
