/** The status JSON of `weft status --json` and `GET /api/v1/runs/:id`, built from store records. */
import { NotFoundError } from '../core/errors.js';
import { addUsage, emptyTotals, sumUsage, type UsageTotals } from '../core/usage.js';
import { estimateEta, type Eta, type EtaSample, type EtaTask } from '../core/estimate-eta.js';
import { computeFigures, type RunFigures } from '../core/run-figures.js';
import type { TaskStatus } from '../core/task.js';
import { readRunSettings } from './run-settings.js';
import type { PrState, PullRequestRecord } from '../store/pr-records.js';
import type { AttemptRecord, AttemptTime, RunRecord, TaskRecord, TaskState } from '../store/records.js';
import type { Store } from '../store/store.js';

/** ISO 8601 with milliseconds, or null. */
export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

/** The run part of the status shape. */
export function runToJson(run: RunRecord) {
  return {
    id: run.id,
    title: run.title,
    status: run.status,
    agent: run.agent,
    concurrency: run.concurrency,
    createdAt: iso(run.createdAt),
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    branch: run.branch,
    baseBranch: run.baseBranch,
    repo: run.repo,
    retryOf: retryOf(run.title),
    error: run.error,
    reason: run.reason,
    maxCostUsd: readRunSettings(run.options).maxCostUsd,
    pausedBackends: activePauses(run),
  };
}

/** The run's backend pauses that have not ended yet, with ISO times (a finished run has none). */
export function activePauses(run: RunRecord, now: number = Date.now()): { backend: string; until: string; reason: string }[] {
  if (run.status !== 'running' && run.status !== 'pending') return [];
  return run.pauses.filter((p) => p.until > now).map((p) => ({ backend: p.backend, until: new Date(p.until).toISOString(), reason: p.reason }));
}

/** The run a retry run was started from (its title says `(retry of ID)`), or null. */
export function retryOf(title: string): string | null {
  return / \(retry of ([0-9a-z]+)\)$/.exec(title)?.[1] ?? null;
}

/** The figures and the ETA of a run, from its stored tasks and attempts. */
export function runProgress(run: RunRecord, tasks: readonly TaskState[], attempts: readonly AttemptTime[], now: number = Date.now()): { figures: RunFigures; eta: Eta } {
  const figures = computeFigures(tasks, now);
  const estimate = new Map(tasks.map((t) => [t.id, t.estimateMinutes]));
  const samples: EtaSample[] = [];
  const runningSince = new Map<string, number>();
  for (const a of attempts) {
    if (a.status === 'succeeded' && a.finishedAt !== null) samples.push({ estimateMinutes: estimate.get(a.taskId) ?? 0, durationMs: a.finishedAt - a.startedAt });
    if (a.status === 'running') runningSince.set(a.taskId, a.startedAt);
  }
  const eta = estimateEta(
    tasks.map((t) => ({ id: t.id, status: t.status, dependsOn: t.dependsOn, estimateMinutes: t.estimateMinutes, priority: t.priority, runningSince: runningSince.get(t.id) ?? t.startedAt })),
    { concurrency: run.concurrency, samples, now },
  );
  // A run that has stopped (cancelled, failed, interrupted) has no ETA, whatever is left.
  return { figures, eta: run.status === 'running' || run.status === 'pending' ? eta : { ...eta, remainingMs: 0, finishAt: now, basis: 'done' } };
}

/** A task's pull request in the status shape (null when it has none). */
export function prToJson(pr: PullRequestRecord | null | undefined): { url: string; number: number; state: PrState } | null {
  return pr ? { url: pr.url, number: pr.number, state: pr.state } : null;
}

/** One task of the status shape, with its attempts and its pull request. */
export function taskToJson(task: TaskRecord, attempts: AttemptRecord[], pr: PullRequestRecord | null = null) {
  return {
    id: task.id,
    title: task.title,
    type: task.type,
    priority: task.priority,
    status: task.status,
    dependsOn: task.dependsOn,
    branch: task.branch,
    prUrl: task.prUrl,
    pr: prToJson(pr),
    error: task.error,
    startedAt: iso(task.startedAt),
    finishedAt: iso(task.finishedAt),
    attempts: attempts.map((a) => ({
      number: a.number,
      status: a.status,
      startedAt: iso(a.startedAt),
      finishedAt: iso(a.finishedAt),
      error: a.error,
      errorCategory: a.errorCategory,
      usage: a.usage,
      verifyOutput: a.verifyOutput === null ? null : a.verifyOutput.slice(-STATUS_VERIFY_CHARS),
    })),
    usage: sumUsage(attempts.map((a) => a.usage)),
  };
}

/** How much of each attempt's verify output the status shape carries. */
export const STATUS_VERIFY_CHARS = 4000;

export type RunStatusJson = {
  run: ReturnType<typeof runToJson> & { usage: UsageTotals };
  figures: RunFigures;
  eta: Eta;
  tasks: ReturnType<typeof taskToJson>[];
  /** With a paged task listing: the cursor of the next page, null on the last. */
  nextCursor?: string | null;
};

/**
 * Which tasks a status carries: all of them (`weft status --json`), none (just the run, its figures
 * and ETA), or one cursor page (the API's default: a 10,000-task run is megabytes otherwise).
 */
export type TaskListing = { mode: 'all' } | { mode: 'none' } | { mode: 'page'; limit: number; cursor?: string };

/** Loads a run's status with all, none or a page of its tasks; NotFoundError when the run does not exist. */
export async function loadRunStatus(store: Store, runId: string, listing: TaskListing = { mode: 'all' }): Promise<RunStatusJson> {
  const run = await store.getRun(runId);
  if (!run) throw new NotFoundError(`no run with id "${runId}"`);
  if (listing.mode !== 'all') {
    // Figures and the ETA from slim reads (no specs, results or agent output), plus one page of tasks.
    const [states, times, usage, page] = await Promise.all([
      store.listTaskStates(runId),
      store.listAttemptTimes(runId),
      store.usageTotals(runId),
      listing.mode === 'page' ? store.findTasks({ runId, limit: listing.limit, ...(listing.cursor ? { cursor: listing.cursor } : {}) }) : null,
    ]);
    const tasks = page
      ? await Promise.all(
          page.tasks.map(async (t) => {
            const [attempts, pr] = await Promise.all([store.listAttempts(runId, t.id), store.getPullRequest(runId, t.id)]);
            return taskToJson(t, attempts, pr ?? null);
          }),
        )
      : [];
    return { run: { ...runToJson(run), usage }, ...runProgress(run, states, times), tasks, ...(page ? { nextCursor: page.nextCursor } : {}) };
  }
  const [tasks, attempts, prs] = await Promise.all([store.listTasks(runId), store.listAttempts(runId), store.listPullRequests({ runId })]);
  // Newest first, so each task keeps its latest PR.
  const prByTask = new Map<string, PullRequestRecord>();
  for (const pr of prs) if (pr.taskId && !prByTask.has(pr.taskId)) prByTask.set(pr.taskId, pr);
  const byTask = new Map<string, AttemptRecord[]>();
  for (const a of attempts) {
    const list = byTask.get(a.taskId);
    if (list) list.push(a);
    else byTask.set(a.taskId, [a]);
  }
  const json = tasks.map((t) => taskToJson(t, byTask.get(t.id) ?? [], prByTask.get(t.id) ?? null));
  const usage = emptyTotals();
  for (const t of json) addUsage(usage, t.usage);
  return { run: { ...runToJson(run), usage }, ...runProgress(run, tasks, attempts), tasks: json };
}

/** Resolves an optional run id: the given one, else the latest run. */
export async function resolveRunId(store: Store, runId: string | undefined): Promise<string> {
  if (runId) {
    if (!(await store.getRun(runId))) throw new NotFoundError(`no run with id "${runId}" (see \`weft runs\`)`);
    return runId;
  }
  const latest = await store.latestRun();
  if (!latest) throw new NotFoundError('no runs yet: start one with `weft run REQUIREMENTS.md --agent simulate`');
  return latest.id;
}

/** What the progress view starts from: the run's tasks as stored, its finished attempts and its concurrency. */
export async function loadProgressSeed(store: Store, runId: string): Promise<{ tasks: EtaTask[]; samples: EtaSample[]; concurrency: number }> {
  const [run, tasks, attempts] = await Promise.all([store.getRun(runId), store.listTasks(runId), store.listAttempts(runId)]);
  const estimate = new Map(tasks.map((t) => [t.id, t.estimateMinutes]));
  const samples = attempts.filter((a) => a.status === 'succeeded' && a.finishedAt !== null).map((a) => ({ estimateMinutes: estimate.get(a.taskId) ?? 0, durationMs: a.finishedAt! - a.startedAt }));
  // Running tasks of a stopped process run again from the start: count them as pending.
  const status = (s: TaskStatus): TaskStatus => (s === 'running' ? 'pending' : s);
  return {
    tasks: tasks.map((t) => ({ id: t.id, status: status(t.status), dependsOn: t.dependsOn, estimateMinutes: t.estimateMinutes, priority: t.priority })),
    samples,
    concurrency: run?.concurrency ?? 1,
  };
}
