/**
 * Executes (or resumes) a workflow run on the store: plans, applies the plan's decisions idempotently,
 * claims ready leaf steps under a lease with a fencing token, heartbeats them, records each completion
 * once, retries retryable failures with the engine's backoff, and stops when the planner says the
 * workflow is over. Several executors (processes, `weft worker`s) may work on one run at once.
 */
import { retryDelayMs, isRetryable, type RetrySettings } from '../engine/backoff.js';
import type { EngineEvents } from '../engine/events.js';
import { sleep } from '../engine/simulate-agent.js';
import { isOwnerGone } from '../engine/worker-id.js';
import type { Json } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { StepClaim, StepEnd, StepRecord, WorkflowRunRecord } from '../store/workflow-records.js';
import { durationMs, type LeafKind } from './definition.js';
import { locateStep, planWorkflow, type WorkflowBundle } from './planner.js';
import { categoryOf, StepError, type StepRunner } from './step-runner.js';

export interface ExecutorDeps {
  store: Store;
  events: EngineEvents;
  runners: Record<LeafKind, StepRunner>;
  /** A worktree of the run's repository for `run` steps and handlers (created once per workflow run). */
  worktree: (run: WorkflowRunRecord) => Promise<string>;
  onOutput?: (runId: string, key: string, chunk: string) => void;
}

export interface ExecutorSettings {
  workerId: string;
  concurrency: number;
  maxAttempts: number;
  retry: RetrySettings;
  leaseMs: number;
  heartbeatMs: number;
  pollMs: number;
  /** Default timeout of a `run`/`http`/handler step (plan and agent steps have the run's own). */
  stepTimeoutMs: number;
}

const TERMINAL_RUN = new Set(['succeeded', 'failed', 'cancelled']);

/** The bundle stored on a run. */
export function bundleOf(run: WorkflowRunRecord): WorkflowBundle {
  return run.definition as unknown as WorkflowBundle;
}

/** Runs one workflow run until it is over, or until `signal` aborts (then leases are left for a resume). */
export class WorkflowExecutor {
  readonly #active = new Map<string, Promise<void>>();
  readonly #controllers = new Map<string, AbortController>();

  constructor(
    private readonly deps: ExecutorDeps,
    private readonly settings: ExecutorSettings,
  ) {}

  /** Executes the run; resolves with it when over (or stopped). */
  async execute(runId: string, opts: { resumed?: boolean; signal?: AbortSignal } = {}): Promise<WorkflowRunRecord> {
    const { store, events } = this.deps;
    const wf = store.workflows;
    const started = Date.now();
    let run = await wf.getWorkflowRun(runId);
    if (!run) throw new Error(`workflow run ${runId} not found`);
    if (TERMINAL_RUN.has(run.status)) return run;
    const stop = () => {
      for (const c of this.#controllers.values()) c.abort('shutdown');
    };
    opts.signal?.addEventListener('abort', stop, { once: true });
    await wf.reclaimSteps(runId, Date.now(), isOwnerGone);
    if (run.status === 'pending' || !run.startedAt) await wf.updateWorkflowRun(runId, { status: 'running', startedAt: run.startedAt ?? started });
    events.emit('workflow.started', { runId, workflowId: run.workflowId, name: run.name, resumed: opts.resumed ?? false });
    const bundle = bundleOf(run);
    let lastReclaim = Date.now();
    try {
      while (!opts.signal?.aborted) {
        run = (await wf.getWorkflowRun(runId))!;
        const rows = await wf.listSteps(runId);
        const now = Date.now();
        const outcome = planWorkflow(bundle, rows, run.inputs, { now, cancelled: run.cancelRequested });
        let changed = false;
        const creates = outcome.decisions.flatMap((d) => (d.type === 'create' ? [d.step] : []));
        if (creates.length > 0) {
          const made = new Set(await wf.insertSteps(runId, creates, now));
          for (const s of creates) {
            if (!made.has(s.key)) continue;
            changed = true;
            if (s.status === 'skipped' || s.status === 'failed') events.emit('step.finished', { runId, taskId: s.key, stepId: s.stepId, kind: s.kind, status: s.status, error: s.error ?? null });
            else if (s.status === 'waiting') events.emit('step.waiting', { runId, taskId: s.key, stepId: s.stepId, kind: s.kind, reason: s.state.approval ? 'approval' : `event ${String(s.state.event)}` });
            else if (s.kind !== 'wait' && s.status === 'running') events.emit('step.started', { runId, taskId: s.key, stepId: s.stepId, kind: s.kind, attempt: 1 });
          }
        }
        for (const d of outcome.decisions) {
          if (d.type !== 'finish') continue;
          if (await wf.finishStep(runId, d.key, d.end, now)) {
            changed = true;
            const row = rows.find((r) => r.key === d.key) ?? creates.find((c) => c.key === d.key);
            events.emit('step.finished', { runId, taskId: d.key, stepId: row?.stepId ?? d.key, kind: row?.kind ?? 'step', status: d.end.status, error: d.end.error ?? null });
          }
        }
        if (changed) continue;
        if (outcome.done && this.#active.size === 0) {
          const fresh = (await wf.getWorkflowRun(runId))!;
          if (!TERMINAL_RUN.has(fresh.status)) {
            await wf.updateWorkflowRun(runId, { status: outcome.done.status, finishedAt: Date.now(), error: outcome.done.error });
            events.emit('workflow.finished', { runId, status: outcome.done.status, error: outcome.done.error, durationMs: Date.now() - started });
          }
          break;
        }
        let claimed = false;
        while (this.#active.size < this.settings.concurrency && !run.cancelRequested) {
          const claim = await wf.claimStep(runId, this.settings.workerId, this.settings.leaseMs, Date.now());
          if (!claim) break;
          claimed = true;
          const p = this.#runLeaf(run, bundle, claim).finally(() => this.#active.delete(claim.step.key));
          this.#active.set(claim.step.key, p);
        }
        if (claimed) continue;
        if (Date.now() - lastReclaim > this.settings.pollMs * 10) {
          lastReclaim = Date.now();
          if ((await wf.reclaimSteps(runId, Date.now(), isOwnerGone)).length > 0) continue;
        }
        await Promise.race([...this.#active.values(), sleep(this.settings.pollMs)]);
      }
    } finally {
      opts.signal?.removeEventListener('abort', stop);
      await Promise.allSettled([...this.#active.values()]);
    }
    return (await wf.getWorkflowRun(runId))!;
  }

  async #runLeaf(run: WorkflowRunRecord, bundle: WorkflowBundle, claim: StepClaim): Promise<void> {
    const { store, events } = this.deps;
    const wf = store.workflows;
    const { step, token } = claim;
    const runId = run.id;
    const controller = new AbortController();
    this.#controllers.set(step.key, controller);
    const heartbeat = setInterval(() => {
      wf.heartbeatStep(runId, step.key, token, this.settings.leaseMs, Date.now()).then(
        (r) => {
          if (!r.ok) controller.abort('lease-lost');
          else if (r.cancelRequested) controller.abort('cancelled');
        },
        () => undefined,
      );
    }, this.settings.heartbeatMs);
    let timeout: NodeJS.Timeout | undefined;
    let end: StepEnd | null = null;
    let poll: { notBefore: number; state?: { [key: string]: Json } } | null = null;
    try {
      const rows = await wf.listSteps(runId);
      const { step: def, ctx } = locateStep(bundle, rows, run.inputs, step.key);
      const kind = step.kind as LeafKind;
      if (kind !== 'wait') events.emit('step.started', { runId, taskId: step.key, stepId: step.stepId, kind, attempt: step.attempts });
      const limit = def.timeout !== undefined ? durationMs(def.timeout) : kind === 'plan' || (kind === 'task' && (def.task?.prompt || def.task?.agent)) ? 0 : this.settings.stepTimeoutMs;
      if (limit > 0) timeout = setTimeout(() => controller.abort('timeout'), limit);
      const result = await this.deps.runners[kind]({
        runId,
        key: step.key,
        step: def,
        expr: ctx,
        state: step.state,
        setState: (patch) => wf.setStepState(runId, step.key, token, patch, Date.now()),
        repo: run.repo,
        worktree: () => this.deps.worktree(run),
        signal: controller.signal,
        log: (chunk) => this.deps.onOutput?.(runId, step.key, chunk),
      });
      if (result.kind === 'poll') poll = result;
      else end = { status: 'succeeded', output: result.output };
    } catch (err) {
      end = this.#failure(err, controller.signal, step, bundle);
    } finally {
      clearInterval(heartbeat);
      clearTimeout(timeout);
      this.#controllers.delete(step.key);
    }
    const reason = controller.signal.reason as unknown;
    if (reason === 'shutdown' || reason === 'lease-lost') return;
    const now = Date.now();
    if (poll) {
      await wf.releaseStep(runId, step.key, token, { notBefore: poll.notBefore }, now);
      return;
    }
    if (!end) return;
    if (end.status === 'failed' && end.category && isRetryable(end.category) && step.failedAttempts + 1 < this.#maxAttempts(bundle, step)) {
      const delay = retryDelayMs(this.settings.retry, step.failedAttempts + 1);
      if (await wf.releaseStep(runId, step.key, token, { notBefore: now + delay, failed: { error: end.error ?? 'failed', category: end.category } }, now)) {
        events.emit('step.retry', { runId, taskId: step.key, attempt: step.attempts + 1, category: end.category, message: end.error ?? '', delayMs: delay });
      }
      return;
    }
    if (await wf.finishStep(runId, step.key, end, now, token)) {
      events.emit('step.finished', { runId, taskId: step.key, stepId: step.stepId, kind: step.kind, status: end.status, error: end.error ?? null });
    }
  }

  #maxAttempts(bundle: WorkflowBundle, step: StepRecord): number {
    try {
      const { step: def } = locateStep(bundle, [], {}, step.key);
      return def.maxAttempts ?? bundle.root.maxAttempts ?? this.settings.maxAttempts;
    } catch {
      return bundle.root.maxAttempts ?? this.settings.maxAttempts;
    }
  }

  #failure(err: unknown, signal: AbortSignal, step: StepRecord, _bundle: WorkflowBundle): StepEnd {
    const reason = signal.reason as unknown;
    if (reason === 'cancelled') return { status: 'cancelled', error: 'cancelled by request', category: 'cancelled' };
    if (reason === 'timeout') return { status: 'failed', error: `${step.key} timed out`, category: 'timeout' };
    const category = categoryOf(err);
    const output = err instanceof StepError ? err.output : null;
    return { status: 'failed', error: err instanceof Error ? err.message : String(err), category, output };
  }
}
