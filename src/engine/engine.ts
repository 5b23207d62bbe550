/**
 * Runs a stored run to completion: claims ready tasks (longest remaining path first) into at most
 * `concurrency` slots, runs each attempt under a lease with heartbeats, applies results only with the
 * current fencing token, retries what may be retried, and stops when nothing can run any more.
 */
import { AgentError, type AgentBackend, type AgentResult } from '../agents/agent-backend.js';
import { endSurvivors, thisHost } from '../agents/survivors.js';
import { ConflictError } from '../core/errors.js';
import { createRedactor, RedactingStream, type Redactor } from '../core/redact.js';
import type { TaskSpec } from '../core/task.js';
import { cleanUsage, type AgentUsage } from '../core/usage.js';
import type { AttemptFeedback } from '../prompt/prompt-types.js';
import type { AttemptOutcome, BackendPause, Claim, ErrorCategory, Json, RunRecord, TaskRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { LeaseLostError, type AttemptChanges, type AttemptWorkspace, type Workspace } from '../vcs/workspace.js';
import { VERIFY_TAIL_CHARS } from '../vcs/run-verify.js';
import { verifyFor } from '../core/task-verify.js';
import { newFailures, type VerifyBaseline } from '../core/verify-baseline.js';
import { isRetryable, retryDelayMs, type RetrySettings } from './backoff.js';
import { deniedInstead } from '../agents/claude-output.js';
import { BackendBreakers, type BreakerSettings } from './breakers.js';
import { BudgetMeter } from './budget-meter.js';
import type { EngineEvents } from './events.js';
import { sleep } from './simulate-agent.js';
import { isOwnerGone } from './worker-id.js';

export type { AttemptFeedback };

/** `{ usage }` when the agent reported any, else nothing (so outcomes stay minimal). */
function usageOf(usage: AgentUsage | undefined): { usage?: AgentUsage } {
  const clean = cleanUsage(usage);
  return clean ? { usage: clean } : {};
}

/** Ends an attempt early as succeeded: its work was already integrated by an attempt cut short. */
class RecoveredAttempt extends Error {
  constructor(readonly memory: { [key: string]: Json }) {
    super('recovered an integrated attempt');
  }
}

export interface EngineDeps {
  store: Store;
  events: EngineEvents;
  /** The backend a task runs on (routing: task `Agent:` line, config rules, run default). */
  backendFor: (task: TaskSpec) => AgentBackend;
  /** Null when the run has no repository (simulate, hosted agents). */
  workspace: Workspace | null;
  /** Builds the prompt for an attempt. */
  promptFor: (task: TaskSpec, attempt: number, feedback: AttemptFeedback | undefined) => Promise<string>;
  /** Receives agent output for the task's log (already redacted). */
  onOutput?: (taskId: string, attempt: number, chunk: string) => void;
  /** Replaces secrets in everything an agent produced before it is logged, stored or emitted; default: token shapes only. */
  redact?: Redactor;
  /**
   * Pull requests (src/forge): runs after a successful, verified attempt and before it is integrated and
   * completed, so a failure (a push, the forge) fails the attempt with nothing integrated, and a merge
   * wait is in place before dependents could start. A throw fails the attempt like any error.
   */
  afterSuccess?: (ctx: {
    runId: string;
    task: TaskRecord;
    attempt: number;
    workspace: AttemptWorkspace | null;
    result: AgentResult;
    changes: AttemptChanges | undefined;
  }) => Promise<{ prUrl?: string }>;
  /** True while something outside the engine (a PR waiting to merge) may still make pending tasks ready. */
  waitingOutside?: () => Promise<boolean>;
}

export interface EngineSettings {
  concurrency: number;
  maxAttempts: number;
  /** Interrupted attempts (crash, lost lease) after which a task fails instead of being handed out again; default 3. */
  maxInterruptions?: number;
  retry: RetrySettings;
  breaker: BreakerSettings;
  timeoutMs: number;
  leaseMs: number;
  heartbeatMs: number;
  /** The run's `--verify`; a task's own `Verify:` line wins (core/task-verify.ts). */
  verify: string | null;
  /** Verify commands that already failed on the base (`--allow-failing-baseline`): attempts are judged against these. */
  baselines?: Readonly<Record<string, VerifyBaseline>>;
  workerId: string;
  /** How often an idle slot looks for newly claimable work. */
  pollMs: number;
  /** The run's cost budget in US dollars (`--max-cost`); null for none. */
  maxCostUsd?: number | null;
}

export interface RunOutcome {
  run: RunRecord;
  counts: Record<string, number>;
}

const LIVE = new Set(['pending', 'ready', 'running']);
const BREAKER_REASON = 'circuit breaker open after repeated failures';

/** Executes (or resumes) a run until every task is finished, failed, blocked or cancelled. */
export class Engine {
  readonly #active = new Set<Promise<void>>();
  readonly #controllers = new Map<string, AbortController>();
  readonly #breakers: BackendBreakers;
  readonly #redact: Redactor;
  /** Backends paused by a usage limit until a reset time (epoch ms). */
  readonly #pauses = new Map<string, BackendPause>();
  /** Breaker pauses already announced, by backend, as the time they end. */
  readonly #announced = new Map<string, number>();
  readonly #budget: BudgetMeter | null;
  #budgetSpent = false;
  #stopping = false;

  constructor(
    private readonly runId: string,
    private readonly deps: EngineDeps,
    private readonly settings: EngineSettings,
  ) {
    this.#breakers = new BackendBreakers(settings.breaker);
    this.#redact = deps.redact ?? createRedactor();
    const max = settings.maxCostUsd;
    this.#budget = max !== null && max !== undefined ? new BudgetMeter(deps.store, runId, max) : null;
  }

  /** Stops claiming and aborts running attempts; their leases are left for a later resume to reclaim. */
  stop(): void {
    this.#stopping = true;
    for (const c of this.#controllers.values()) c.abort('shutdown');
  }

  /** Runs until nothing is left to do; returns the finished run and task counts by status. */
  async execute(options: { resumed?: boolean } = {}): Promise<RunOutcome> {
    const { store, events } = this.deps;
    const { runId } = this;
    const started = Date.now();
    const run = await store.getRun(runId);
    if (!run) throw new Error(`run ${runId} not found`);
    await store.reclaimExpired(runId, Date.now(), isOwnerGone, { maxInterruptions: this.settings.maxInterruptions ?? 3 });
    // A resumed run starts over without the reason it stopped last time (a budget may have been raised).
    await store.updateRun(runId, { status: 'running', ...(run.startedAt ? {} : { startedAt: started }), finishedAt: null, reason: null, ...(run.reason ? { error: null } : {}) });
    for (const p of run.pauses) if (p.until > started && !p.reason.startsWith(BREAKER_REASON)) this.#pauses.set(p.backend, p);
    const initial = await store.listTasks(runId);
    events.emit('run.started', { runId, title: run.title, tasks: initial.length, concurrency: this.settings.concurrency, resumed: options.resumed ?? false });

    try {
      await this.#loop();
    } catch (err) {
      // The store gave up (an outage longer than it waits) or something else broke: stop the attempts
      // here (their leases go back to whoever resumes) and report it; the run is not marked finished.
      this.stop();
      await Promise.allSettled(this.#active);
      throw err;
    }
    await Promise.allSettled(this.#active);
    return this.#finish(started);
  }

  async #loop(): Promise<void> {
    const { store } = this.deps;
    const { runId } = this;
    while (!this.#stopping) {
      while (this.#active.size < this.settings.concurrency && !this.#stopping && !(await this.#overBudget())) {
        // Every free slot in one claim: one statement on Postgres instead of a transaction per task.
        const free = this.settings.concurrency - this.#active.size;
        const claims = await store.claimBatch(runId, this.settings.workerId, free, this.settings.leaseMs, Date.now());
        for (const claim of claims) {
          // A paused backend (usage limit, open breaker) gets no attempt: the claim goes back, untouched.
          if (await this.#releaseIfPaused(claim)) continue;
          const p: Promise<void> = this.#runAttempt(claim).finally(() => this.#active.delete(p));
          this.#active.add(p);
        }
        if (claims.length < free) break;
      }
      if (this.#budgetSpent) {
        // Running attempts finish; nothing new starts.
        if (this.#active.size === 0) break;
        await Promise.race(this.#active);
        continue;
      }
      if (this.#active.size >= this.settings.concurrency) {
        await Promise.race(this.#active);
        continue;
      }
      if (this.#active.size > 0) {
        await Promise.race([...this.#active, sleep(this.settings.pollMs)]);
        continue;
      }
      const wait = await this.#idleWait();
      if (wait === null) break;
      await sleep(wait);
    }
  }

  /** With no attempt running here: ms to wait for more work, or null when the run is over. */
  async #idleWait(): Promise<number | null> {
    const { store } = this.deps;
    const now = Date.now();
    if ((await store.reclaimExpired(this.runId, now, isOwnerGone, { maxInterruptions: this.settings.maxInterruptions ?? 3 })).length > 0) return 0;
    const tasks = await store.listTasks(this.runId);
    const live = tasks.filter((t) => LIVE.has(t.status));
    if (live.length === 0) return null;
    let next = now + this.settings.pollMs * 4;
    for (const t of live) {
      if (t.status === 'ready' && t.notBefore !== null) next = Math.min(next, t.notBefore);
      if (t.status === 'ready' && t.notBefore === null) next = now;
      if (t.status === 'running' && t.lease) next = Math.min(next, t.lease.expiresAt + 1);
    }
    if (!live.some((t) => t.status !== 'pending')) {
      // A dependency waiting for its pull request to merge: keep looking (merges arrive by webhook or poll).
      if (await this.deps.waitingOutside?.()) return Math.max(1000, this.settings.pollMs * 4);
      // Pending tasks with nothing ready or running can never start; the store blocks dependents of
      // failures, so this means their dependencies were cancelled outside this process.
      return null;
    }
    return Math.max(5, next - now);
  }

  async #finish(started: number): Promise<RunOutcome> {
    const { store, events } = this.deps;
    const tasks = await store.listTasks(this.runId);
    const counts: Record<string, number> = {};
    for (const t of tasks) counts[t.status] = (counts[t.status] ?? 0) + 1;
    const run = (await store.getRun(this.runId))!;
    if (this.#stopping) return { run, counts };
    const unfinished = tasks.some((t) => LIVE.has(t.status));
    const bad = (counts.failed ?? 0) + (counts.blocked ?? 0) + (counts.cancelled ?? 0);
    const status = run.cancelRequested ? 'cancelled' : unfinished || bad > 0 ? 'failed' : 'succeeded';
    const finishedAt = Date.now();
    const budget = this.#budgetSpent && status === 'failed' && this.#budget ? await this.#budget.describe(tasks.filter((t) => LIVE.has(t.status)).length) : null;
    await store.updateRun(this.runId, { status, finishedAt, pauses: [...this.#pauses.values()], ...(budget ? { reason: 'budget', error: budget } : {}) });
    events.emit('run.finished', {
      runId: this.runId,
      status,
      succeeded: (counts.succeeded ?? 0) + (counts.done ?? 0),
      failed: counts.failed ?? 0,
      blocked: counts.blocked ?? 0,
      cancelled: counts.cancelled ?? 0,
      durationMs: finishedAt - started,
      reason: budget ? 'budget' : null,
    });
    return { run: { ...run, status, finishedAt, ...(budget ? { reason: 'budget' as const, error: budget } : {}) }, counts };
  }

  /** True once the run has spent its budget (checked before every claim; announced once). */
  async #overBudget(): Promise<boolean> {
    if (this.#budgetSpent) return true;
    if (!this.#budget || !(await this.#budget.spent())) return false;
    this.#budgetSpent = true;
    this.deps.events.emit('budget.exhausted', { runId: this.runId, spentUsd: await this.#budget.total(), maxCostUsd: this.#budget.max, running: this.#active.size });
    return true;
  }

  /** Until when a backend takes no attempts (usage limit or open breaker); 0 when it is available. */
  #pausedUntil(backend: string, now: number): { until: number; reason: string } | null {
    const limit = this.#pauses.get(backend);
    const breaker = this.#breakers.pausedFor(backend, now);
    if (limit && limit.until > now && limit.until >= now + breaker) return { until: limit.until, reason: limit.reason };
    if (breaker > 0) return { until: now + breaker, reason: BREAKER_REASON };
    return null;
  }

  /** Gives a fresh claim back when its backend is paused; true when it did (the task waits, no attempt is used). */
  async #releaseIfPaused(claim: Claim): Promise<boolean> {
    const backend = this.deps.backendFor(claim.task.spec);
    const now = Date.now();
    const pause = this.#pausedUntil(backend.name, now);
    if (!pause) return false;
    const released = await this.deps.store.releaseClaim(this.runId, claim.task.id, claim.token, pause.until, now).catch(() => false);
    if (!released) return false;
    this.#announcePause(backend.name, pause.until, pause.reason);
    return true;
  }

  /** Emits `backend.paused` once per pause (a longer pause is announced again). */
  #announcePause(backend: string, untilMs: number, reason: string): void {
    if ((this.#announced.get(backend) ?? 0) >= untilMs) return;
    this.#announced.set(backend, untilMs);
    this.deps.events.emit('backend.paused', { runId: this.runId, backend, untilMs, reason });
  }

  /** A usage limit with a reset time: the backend takes no attempts until then (kept on the run for status and API). */
  async #pauseBackend(backend: string, untilMs: number, message: string): Promise<void> {
    const cur = this.#pauses.get(backend);
    if (cur && cur.until >= untilMs) return;
    const reason = `usage limit: ${message.split('\n')[0]!.slice(0, 200)}`;
    this.#pauses.set(backend, { backend, until: untilMs, reason });
    this.#announcePause(backend, untilMs, reason);
    await this.deps.store.updateRun(this.runId, { pauses: [...this.#pauses.values()] }).catch(() => undefined);
  }

  async #runAttempt(claim: Claim): Promise<void> {
    const { store, events, workspace } = this.deps;
    const { runId } = this;
    const { task, attempt, token } = claim;
    const spec = task.spec;
    const backend = this.deps.backendFor(spec);
    const controller = new AbortController();
    this.#controllers.set(task.id, controller);
    // Without a heartbeat that got through within a lease, this process cannot know it still holds the
    // task (another may have reclaimed it): it stops, and integrate() checks the lease anyway.
    let heardAt = Date.now();
    const heartbeat = setInterval(() => {
      if (Date.now() - heardAt > this.settings.leaseMs) controller.abort('lease-lost');
      store.heartbeat(runId, task.id, token, this.settings.leaseMs, Date.now()).then(
        (r) => {
          heardAt = Date.now();
          if (!r.ok) controller.abort('lease-lost');
          else if (r.cancelRequested) controller.abort('cancelled');
        },
        () => undefined,
      );
    }, this.settings.heartbeatMs);
    let deadline = Date.now() + this.settings.timeoutMs;
    let timeout = setTimeout(() => controller.abort('timeout'), this.settings.timeoutMs);
    // Waiting for a paused backend is not the attempt's time: the clock stops meanwhile.
    const holdClock = () => {
      clearTimeout(timeout);
      const left = Math.max(0, deadline - Date.now());
      return () => {
        deadline = Date.now() + left;
        timeout = setTimeout(() => controller.abort('timeout'), left);
      };
    };
    events.emit('task.started', { runId, taskId: task.id, title: task.title, attempt: attempt.number, agent: backend.name });

    let outcome: AttemptOutcome;
    let result: AgentResult | undefined;
    let ws: Awaited<ReturnType<Workspace['prepareAttempt']>> | null = null;
    let recovered = false;
    let verifyOutput: string | null = null;
    // Output goes out redacted; a secret split across chunks is still found (the stream holds back a little).
    const output = new RedactingStream(this.#redact, (chunk) => {
      this.deps.onOutput?.(task.id, attempt.number, chunk);
      events.emit('task.output', { runId, taskId: task.id, attempt: attempt.number, chunk });
    });
    try {
      // A crash after integrating an attempt but before recording it must not apply the work twice.
      const integrated = backend.needsWorktree && workspace?.findIntegratedAttempt ? await workspace.findIntegratedAttempt(runId, spec, attempt.number) : null;
      if (integrated) {
        const memory: { [key: string]: Json } = {
          summary: `attempt ${integrated.attempt} had already been integrated before an interruption`,
          filesChanged: integrated.filesChanged,
          commits: integrated.commits,
          prUrl: null,
          webUrl: null,
          data: { recoveredAttempt: integrated.attempt },
        };
        throw new RecoveredAttempt(memory);
      }
      // An agent of an earlier attempt that outlived its weft (a SIGKILL) ends before this one starts.
      if (attempt.number > 1) await this.#endSurvivors(task.id);
      if (backend.needsWorktree && workspace) ws = await workspace.prepareAttempt(runId, spec, attempt.number);
      const feedback = attempt.number > 1 ? await this.#feedback(task) : undefined;
      const prompt = backend.name === 'simulate' ? '' : await this.deps.promptFor(spec, attempt.number, feedback);
      // Recorded right before the agent starts: what it must not change (refs, the user's checkout).
      const guard = ws && workspace?.guardAttempt ? await workspace.guardAttempt(runId, ws) : null;
      let agentFailure: { err: unknown } | null = null;
      result = await this.#throughBreaker(backend, controller.signal, holdClock, () =>
        backend.run({
          runId,
          task: spec,
          attempt: attempt.number,
          prompt,
          worktree: ws?.worktree ?? null,
          branch: ws?.branch ?? null,
          signal: controller.signal,
          log: (chunk) => output.push(chunk),
          onProcess: (pid) => void store.recordAttemptProcess(runId, task.id, attempt.number, { pid, host: thisHost() }).catch(() => undefined),
        }),
      )
        .catch((err: unknown) => {
          agentFailure = { err };
          return undefined;
        })
        .finally(() => output.end());
      // A violation is reported whether the agent then succeeded or failed; it wins over the agent's own error.
      if (guard && controller.signal.reason !== 'shutdown') await guard.check({ agentSucceeded: agentFailure === null });
      if (agentFailure) throw (agentFailure as { err: unknown }).err;
      result = this.#redact.json(result!);
      let changes: AttemptChanges | undefined;
      if (ws && workspace) {
        const done = result;
        changes = await workspace.collectChanges(runId, spec, ws).catch((err: unknown) => {
          throw deniedInstead(err, done);
        });
        const gate = verifyFor(spec, this.settings.verify);
        if (gate) verifyOutput = await this.#verify(workspace, ws, gate, task.id, attempt.number, controller.signal);
      }
      if (this.deps.afterSuccess) {
        const extra = await this.deps.afterSuccess({ runId, task, attempt: attempt.number, workspace: ws, result, changes });
        if (extra.prUrl) result = { ...result, prUrl: extra.prUrl };
      }
      if (ws && workspace) {
        // Fenced: the integration branch moves only while this attempt's token is still the task's.
        const fence = async () => {
          const r = await store.heartbeat(runId, task.id, token, this.settings.leaseMs, Date.now());
          if (!r.ok) {
            controller.abort('lease-lost');
            throw new LeaseLostError(task.id);
          }
        };
        await workspace.integrate(runId, spec, ws, { fence });
      }
      const memory: { [key: string]: Json } = {
        summary: result.summary ?? null,
        filesChanged: changes?.filesChanged ?? [],
        commits: changes?.commits ?? [],
        prUrl: result.prUrl ?? null,
        webUrl: result.webUrl ?? null,
        data: result.data ?? null,
      };
      outcome = { kind: 'succeeded', result: memory, output: result.output ?? null, verifyOutput, ...usageOf(result.usage) };
    } catch (err) {
      recovered = err instanceof RecoveredAttempt;
      outcome = err instanceof RecoveredAttempt ? { kind: 'succeeded', result: err.memory, output: null } : this.#failure(err, controller.signal, task);
      if (err instanceof AgentError && err.pausedUntil !== undefined && err.pausedUntil > Date.now()) await this.#pauseBackend(backend.name, err.pausedUntil, err.message);
      if (outcome.kind === 'failed' && err instanceof AgentError && err.verifyOutput !== undefined) outcome.verifyOutput = err.verifyOutput;
      // What the agent consumed counts even when the attempt failed after it (verify, integration) or inside it.
      if (!(err instanceof RecoveredAttempt)) {
        const usage = cleanUsage(err instanceof AgentError ? err.usage : undefined) ?? cleanUsage(result?.usage);
        if (usage) outcome = { ...outcome, usage };
      }
    } finally {
      clearInterval(heartbeat);
      clearTimeout(timeout);
      this.#controllers.delete(task.id);
    }
    if (ws && workspace) await workspace.releaseAttempt(ws, outcome.kind === 'succeeded').catch(() => undefined);
    // A recovered attempt never had a worktree of its own; the interrupted attempts' ones go now.
    if (recovered && workspace?.removeEarlierAttempts) {
      await workspace.removeEarlierAttempts(runId, spec, attempt.number).catch(() => undefined);
    }
    if (controller.signal.reason === 'shutdown' || controller.signal.reason === 'lease-lost') return;
    await this.#complete(task, attempt.number, token, outcome, result);
  }

  async #complete(task: TaskRecord, attempt: number, token: number, outcome: AttemptOutcome, result: AgentResult | undefined): Promise<void> {
    const { store, events } = this.deps;
    const { runId } = this;
    try {
      const done = await store.completeAttempt(runId, task.id, token, outcome, Date.now());
      this.#budget?.add(outcome.usage?.costUsd);
      if (outcome.kind === 'succeeded') {
        if (result?.prUrl) await store.updateTask(runId, task.id, { prUrl: result.prUrl });
        events.emit('task.succeeded', { runId, taskId: task.id, attempt, durationMs: Date.now() - (done.task.startedAt ?? Date.now()), prUrl: result?.prUrl ?? null });
      } else if (outcome.kind === 'failed') {
        const willRetry = outcome.retryAt !== null && done.task.status === 'ready';
        events.emit('attempt.failed', { runId, taskId: task.id, attempt, category: outcome.category, message: outcome.message, willRetry });
        if (willRetry) events.emit('retry.scheduled', { runId, taskId: task.id, attempt: attempt + 1, delayMs: Math.max(0, outcome.retryAt! - Date.now()) });
        else if (done.task.status === 'failed') events.emit('task.failed', { runId, taskId: task.id, attempt, category: outcome.category, message: outcome.message });
        else if (done.task.status === 'cancelled') events.emit('task.cancelled', { runId, taskId: task.id });
      } else {
        events.emit('task.cancelled', { runId, taskId: task.id });
      }
      for (const id of done.blocked) events.emit('task.blocked', { runId, taskId: id, by: task.id });
    } catch (err) {
      // A newer claim holds the task (our lease expired): the result is discarded, never applied twice.
      if (!(err instanceof ConflictError)) throw err;
    }
  }

  #failure(err: unknown, signal: AbortSignal, task: TaskRecord): AttemptOutcome {
    const reason = signal.reason as unknown;
    if (reason === 'cancelled') return { kind: 'cancelled', message: 'cancelled by request' };
    let category: ErrorCategory = 'agent';
    let message = err instanceof Error ? err.message : String(err);
    let output: string | null = null;
    let retryAfterMs = 0;
    let data: Json = null;
    if (reason === 'timeout') {
      category = 'timeout';
      message = `attempt timed out after ${Math.round(this.settings.timeoutMs / 1000)}s`;
    } else if (err instanceof AgentError) {
      category = err.category;
      output = err.output ?? null;
      retryAfterMs = err.retryAfterMs ?? 0;
      data = err.data ?? null;
    }
    message = this.#redact(message);
    output = output === null ? null : this.#redact(output);
    data = this.#redact.json(data);
    if (category === 'cancelled') return { kind: 'cancelled', message, output };
    // A usage limit with a reset time is worth waiting for, whatever the category says.
    const now = Date.now();
    const pausedUntil = err instanceof AgentError && err.pausedUntil !== undefined && err.pausedUntil > now ? err.pausedUntil : 0;
    const failures = task.failedAttempts + 1;
    const retry = (isRetryable(category) || pausedUntil > 0) && failures < this.settings.maxAttempts;
    const delay = Math.max(retryDelayMs(this.settings.retry, failures), retryAfterMs, pausedUntil - now);
    return { kind: 'failed', category, message, retryAt: retry ? now + delay : null, output, result: data };
  }

  /**
   * Runs the task's verify command; returns its output to keep on the attempt. A failure throws, unless the
   * command failed the same way on the base branch (baseline) — then it is not this task's fault.
   */
  async #verify(workspace: Workspace, ws: AttemptWorkspace, command: string, taskId: string, attempt: number, signal: AbortSignal): Promise<string> {
    // Into the task's log and the live output, redacted like the agent's own output.
    const say = (chunk: string) => {
      const text = this.#redact(chunk);
      this.deps.onOutput?.(taskId, attempt, text);
      this.deps.events.emit('task.output', { runId: this.runId, taskId, attempt, chunk: text });
    };
    say(`\n[verify] ${command}\n`);
    const v = await workspace.verify(ws, command, signal, say);
    const output = this.#redact(v.output);
    if (v.passed) return output;
    const baseline = this.settings.baselines?.[command];
    const fresh = baseline ? newFailures(baseline, v.failures) : [];
    if (baseline && fresh.length === 0) {
      const note = `[weft] ${v.message}, as it does on the base branch (no new failures): not counted against this task`;
      say(`\n${note}\n`);
      return `${output}\n${note}\n`;
    }
    const detail = baseline ? ` with failures the base branch does not have: ${fresh.slice(0, 3).join(' | ')}${fresh.length > 3 ? ` (+${fresh.length - 3} more)` : ''}` : '';
    throw new AgentError('agent', `${v.message}${detail}`, { output: output.slice(-VERIFY_TAIL_CHARS), verifyOutput: output });
  }

  /** Runs `fn` through the backend's breaker; while the breaker is open, waits instead of failing the attempt. */
  async #throughBreaker<T>(backend: AgentBackend, signal: AbortSignal, holdClock: () => () => void, fn: () => Promise<T>): Promise<T> {
    // Claims are given back while a backend is paused (#releaseIfPaused); this covers a breaker that opened
    // between the claim and the call (another attempt failed meanwhile): it waits with its timeout stopped.
    const breaker = this.#breakers.get(backend.name);
    let resume: (() => void) | null = null;
    for (;;) {
      const wait = this.#breakers.pausedFor(backend.name);
      if (wait > 0) {
        this.#announcePause(backend.name, Date.now() + wait, BREAKER_REASON);
        resume ??= holdClock();
        await sleep(Math.min(1000, wait), signal);
        continue;
      }
      if (resume) {
        resume();
        resume = null;
      }
      try {
        return await breaker.execute(fn);
      } catch (err) {
        if ((err as Error).name === 'BrokenCircuitError' || (err as Error).name === 'IsolatedCircuitError') {
          await sleep(50, signal);
          continue;
        }
        throw err;
      }
    }
  }

  async #endSurvivors(taskId: string): Promise<void> {
    const earlier = (await this.deps.store.listAttempts(this.runId, taskId)).flatMap((a) => (a.process ? [a.process] : []));
    if (earlier.length === 0) return;
    await endSurvivors(earlier, this.runId, taskId);
  }

  async #feedback(task: TaskRecord): Promise<AttemptFeedback | undefined> {
    const attempts = await this.deps.store.listAttempts(this.runId, task.id);
    const last = [...attempts].reverse().find((a) => a.status === 'failed' || a.status === 'interrupted');
    if (!last) return undefined;
    const r = last.result as { conflictFiles?: string[] } | null;
    return {
      attempt: last.number,
      category: last.errorCategory ?? 'agent',
      message: last.error ?? 'the attempt failed',
      ...(last.output ? { outputTail: last.output.slice(-4000) } : {}),
      ...(r && Array.isArray(r.conflictFiles) ? { conflictFiles: r.conflictFiles } : {}),
    };
  }
}
