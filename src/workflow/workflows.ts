/**
 * Workflow use cases for the CLI and the API: store a definition, start a run (manual, webhook,
 * schedule, task), execute or resume it, cancel it, approve a wait, deliver an event to waiting steps.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { InputError, NotFoundError, ConflictError } from '../core/errors.js';
import type { RetrySettings } from '../engine/backoff.js';
import type { EngineEvents } from '../engine/events.js';
import { recordEvents } from '../engine/event-recorder.js';
import { newWorkerId } from '../engine/worker-id.js';
import { findPackageRoot } from '../prompt/template-loader.js';
import { slugify } from '../plan/slug.js';
import type { Json } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { StepRecord, WorkflowRecord, WorkflowRunRecord } from '../store/workflow-records.js';
import type { WorkflowDef } from './definition.js';
import { childSteps, stepKind, type RawStep } from './definition.js';
import { WorkflowExecutor } from './executor.js';
import type { TaskHandlers } from './handlers.js';
import { parseWorkflow } from './parse-workflow.js';
import { resolveInputs, type WorkflowBundle } from './planner.js';
import type { WorkflowRuns } from './run-service.js';
import { planStep, taskStep } from './steps/agent-steps.js';
import { httpStep } from './steps/http-step.js';
import { runStep } from './steps/run-step.js';
import { waitStep } from './steps/wait-step.js';
import { workflowWorktree, removeWorkflowWorktree } from './worktree.js';

export interface WorkflowsDeps {
  store: Store;
  events: EngineEvents;
  runs: WorkflowRuns;
  handlers: TaskHandlers;
  cwd: string;
  retry: RetrySettings;
  maxAttempts: number;
  concurrency: number;
  worktreesDir?: string | undefined;
  onOutput?: (runId: string, key: string, chunk: string) => void;
}

/** What starts a run. */
export type Trigger =
  | { kind: 'manual' }
  | { kind: 'task' }
  | { kind: 'webhook'; event: string; delivery: string; action?: string | null }
  | { kind: 'schedule'; cron: string; tick: number };

export interface ExecuteWorkflowOptions {
  resumed?: boolean;
  signal?: AbortSignal;
  leaseMs?: number;
  heartbeatMs?: number;
}

/** The bundled workflow templates (`feature`, `bugfix`, `deploy`, `code-review`). */
export function templatesDir(): string {
  return join(findPackageRoot(), 'templates', 'workflows');
}

/** A new workflow run id (sortable, prefixed so queues and workers tell them from runs). */
export function newWorkflowRunId(): string {
  return `wf-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** Whether an id names a workflow run (not a weft run). */
export function isWorkflowRunId(id: string): boolean {
  return id.startsWith('wf-');
}

/** Workflow use cases over one store. */
export class Workflows {
  readonly #recorder: { close: () => Promise<void> };
  constructor(private readonly deps: WorkflowsDeps) {
    // Every workflow and step event lands in the store's event log (SSE, other processes, `weft logs`).
    this.#recorder = recordEvents(deps.events, deps.store);
  }

  /** Flushes recorded events. */
  async close(): Promise<void> {
    await this.#recorder.close();
  }

  get store(): Store {
    return this.deps.store;
  }

  /** Validates YAML and stores it under the slug of its name; `uses:` must resolve. */
  async create(source: string, file: string | null): Promise<WorkflowRecord> {
    const def = parseWorkflow(source, file ?? 'workflow.yaml');
    await this.bundle(def, file ? dirname(resolve(this.deps.cwd, file)) : this.deps.cwd);
    const id = slugify(def.name);
    if (!id) throw new InputError('workflow name must contain letters or digits');
    return this.deps.store.workflows.saveWorkflow({ id, name: def.name, description: def.description ?? null, source, file, definition: def as unknown as Json }, Date.now());
  }

  async list(): Promise<WorkflowRecord[]> {
    return this.deps.store.workflows.listWorkflows();
  }

  /** A stored workflow by id or name. */
  async get(ref: string): Promise<WorkflowRecord> {
    const wf = (await this.deps.store.workflows.getWorkflow(ref)) ?? (await this.deps.store.workflows.getWorkflow(slugify(ref)));
    if (!wf) throw new NotFoundError(`no workflow "${ref}" (weft workflow list shows the stored ones)`);
    return wf;
  }

  /** Resolves every `uses:` (stored workflow, bundled template, or file next to the using one). */
  async bundle(def: WorkflowDef, baseDir: string): Promise<WorkflowBundle> {
    const used: Record<string, WorkflowDef> = {};
    const visit = async (d: WorkflowDef, dir: string, trail: string[]) => {
      const refs: string[] = [];
      const walk = (steps: RawStep[]) => {
        for (const s of steps) {
          if (stepKind(s) === 'uses') refs.push(s.uses!);
          walk(childSteps(s));
        }
      };
      walk(d.steps);
      for (const ref of refs) {
        if (trail.includes(ref)) throw new InputError(`workflow uses itself: ${[...trail, ref].join(' -> ')}`);
        if (used[ref]) continue;
        const found = await this.#findUsed(ref, dir);
        used[ref] = found.def;
        await visit(found.def, found.dir, [...trail, ref]);
      }
    };
    await visit(def, baseDir, [def.name]);
    return { root: def, used };
  }

  async #findUsed(ref: string, dir: string): Promise<{ def: WorkflowDef; dir: string }> {
    const stored = await this.deps.store.workflows.getWorkflow(ref);
    if (stored) return { def: stored.definition as unknown as WorkflowDef, dir };
    const candidates = [join(templatesDir(), `${ref}.yaml`), resolve(dir, ref), resolve(dir, `${ref}.yaml`)];
    for (const path of candidates) {
      if (!existsSync(path) || !path.match(/\.ya?ml$/)) continue;
      return { def: parseWorkflow(await readFile(path, 'utf8'), path), dir: dirname(path) };
    }
    throw new InputError(`uses: "${ref}" is neither a stored workflow, a bundled template (${TEMPLATE_NAMES.join(', ')}) nor a workflow file`);
  }

  /** Stores a new run of a stored workflow (by id/name), a file, or a bundled template; nothing executes yet. */
  async start(ref: string, opts: { inputs?: { [key: string]: Json }; trigger?: Trigger; repo?: string | null } = {}): Promise<WorkflowRunRecord> {
    let def: WorkflowDef;
    let workflowId: string | null = null;
    let dir = this.deps.cwd;
    const path = resolve(this.deps.cwd, ref);
    const stored = (await this.deps.store.workflows.getWorkflow(ref)) ?? (await this.deps.store.workflows.getWorkflow(slugify(ref)));
    if (stored) {
      def = stored.definition as unknown as WorkflowDef;
      workflowId = stored.id;
    } else if (/\.ya?ml$/.test(ref) && existsSync(path)) {
      def = parseWorkflow(await readFile(path, 'utf8'), ref);
      dir = dirname(path);
    } else if (TEMPLATE_NAMES.includes(ref)) {
      const file = join(templatesDir(), `${ref}.yaml`);
      def = parseWorkflow(await readFile(file, 'utf8'), file);
    } else throw new NotFoundError(`no workflow "${ref}": not a stored workflow id, a .yaml file or a template (${TEMPLATE_NAMES.join(', ')})`);
    return this.startDef(def, { ...opts, workflowId, dir });
  }

  /** Stores a new run of a parsed definition. */
  async startDef(def: WorkflowDef, opts: { inputs?: { [key: string]: Json }; trigger?: Trigger; repo?: string | null; workflowId?: string | null; dir?: string }): Promise<WorkflowRunRecord> {
    const bundle = await this.bundle(def, opts.dir ?? this.deps.cwd);
    let inputs: { [key: string]: Json };
    try {
      inputs = resolveInputs(def, opts.inputs ?? {});
    } catch (err) {
      throw new InputError((err as Error).message);
    }
    return this.deps.store.workflows.createWorkflowRun({
      id: newWorkflowRunId(),
      workflowId: opts.workflowId ?? null,
      name: def.name,
      inputs,
      definition: bundle as unknown as Json,
      trigger: (opts.trigger ?? { kind: 'manual' }) as unknown as Json,
      repo: opts.repo === undefined ? this.deps.cwd : opts.repo,
      createdAt: Date.now(),
    });
  }

  /** Executes (or resumes) a stored workflow run until it is over. */
  async execute(runId: string, opts: ExecuteWorkflowOptions = {}): Promise<WorkflowRunRecord> {
    const run = await this.deps.store.workflows.getWorkflowRun(runId);
    if (!run) throw new NotFoundError(`no workflow run "${runId}"`);
    const { store, runs, handlers } = this.deps;
    const executor = new WorkflowExecutor(
      {
        store,
        events: this.deps.events,
        runners: { run: runStep, http: httpStep, wait: waitStep(store), plan: planStep(runs), task: taskStep(runs, handlers) },
        worktree: (r) => workflowWorktree(r.repo ?? this.deps.cwd, r.id, this.deps.worktreesDir),
        ...(this.deps.onOutput ? { onOutput: this.deps.onOutput } : {}),
      },
      {
        workerId: newWorkerId(),
        concurrency: (run.definition as unknown as WorkflowBundle).root.concurrency ?? this.deps.concurrency,
        maxAttempts: this.deps.maxAttempts,
        retry: this.deps.retry,
        leaseMs: opts.leaseMs ?? 30_000,
        heartbeatMs: opts.heartbeatMs ?? 2_000,
        pollMs: 100,
        stepTimeoutMs: 60 * 60_000,
      },
    );
    const done = await executor.execute(runId, opts);
    if (done.status !== 'running' && done.status !== 'pending' && done.repo) await removeWorkflowWorktree(done.repo, done.id, this.deps.worktreesDir).catch(() => undefined);
    return done;
  }

  /** A run with its step instances. */
  async status(runId: string): Promise<{ run: WorkflowRunRecord; steps: StepRecord[] }> {
    const run = await this.deps.store.workflows.getWorkflowRun(runId);
    if (!run) throw new NotFoundError(`no workflow run "${runId}"`);
    return { run, steps: await this.deps.store.workflows.listSteps(runId) };
  }

  /** Requests cancellation: waiting and not-started steps end at once, running ones at their next heartbeat. */
  async cancel(runId: string): Promise<WorkflowRunRecord> {
    const { run } = await this.status(runId);
    if (!(await this.deps.store.workflows.requestWorkflowCancel(runId))) throw new ConflictError(`workflow run ${runId} has already ended (${run.status})`);
    return (await this.deps.store.workflows.getWorkflowRun(runId))!;
  }

  /** Approves (or rejects) a wait for approval; `step` is the step id or instance key. */
  async approve(runId: string, step: string, opts: { approved?: boolean; by?: string; comment?: string } = {}): Promise<StepRecord> {
    const { steps } = await this.status(runId);
    const matches = steps.filter((s) => s.kind === 'wait' && s.state.approval !== undefined && (s.key === step || s.stepId === step));
    const waiting = matches.filter((s) => s.status === 'waiting');
    if (matches.length === 0) throw new NotFoundError(`workflow run ${runId} has no approval step "${step}"${steps.some((s) => s.status === 'waiting') ? ` (waiting: ${steps.filter((s) => s.status === 'waiting').map((s) => s.key).join(', ')})` : ''}`);
    if (waiting.length === 0) throw new ConflictError(`step ${step} is not waiting for approval (${matches.map((s) => `${s.key}: ${s.status}`).join(', ')})`);
    if (waiting.length > 1) throw new InputError(`step ${step} has several waiting instances; name one: ${waiting.map((s) => s.key).join(', ')}`);
    const target = waiting[0]!;
    const approved = opts.approved ?? true;
    const now = Date.now();
    const output = { approved, by: opts.by ?? 'anonymous', comment: opts.comment ?? null, at: new Date(now).toISOString() };
    const ok = await this.deps.store.workflows.finishStep(runId, target.key, { status: approved ? 'succeeded' : 'failed', output, error: approved ? null : `rejected by ${output.by}`, category: approved ? null : 'validation' }, now);
    if (!ok) throw new ConflictError(`step ${target.key} is no longer waiting`);
    this.deps.events.emit('step.finished', { runId, taskId: target.key, stepId: target.stepId, kind: 'wait', status: approved ? 'succeeded' : 'failed', error: approved ? null : `rejected by ${output.by}` });
    return (await this.deps.store.workflows.getStep(runId, target.key))!;
  }

  /** Completes `wait: { event }` steps whose event name matches and whose `match` values equal the payload's. */
  async deliverEvent(event: string, payload: Json): Promise<string[]> {
    const completed: string[] = [];
    for (const s of await this.deps.store.workflows.listWaitingSteps()) {
      if (s.state.event !== event) continue;
      const match = (s.state.match ?? {}) as { [path: string]: Json };
      if (!Object.entries(match).every(([path, want]) => JSON.stringify(pick(payload, path) ?? null) === JSON.stringify(want))) continue;
      if (await this.deps.store.workflows.finishStep(s.runId, s.key, { status: 'succeeded', output: { event, payload } }, Date.now())) {
        completed.push(`${s.runId}/${s.key}`);
        this.deps.events.emit('step.finished', { runId: s.runId, taskId: s.key, stepId: s.stepId, kind: 'wait', status: 'succeeded', error: null });
      }
    }
    return completed;
  }
}

/** The shipped templates. */
export const TEMPLATE_NAMES: readonly string[] = ['feature', 'bugfix', 'deploy', 'code-review'];

function pick(v: Json, path: string): Json | undefined {
  let cur: Json | undefined = v;
  for (const part of path.split('.')) {
    if (cur && typeof cur === 'object' && !Array.isArray(cur) && Object.hasOwn(cur, part)) cur = cur[part];
    else return undefined;
  }
  return cur;
}
