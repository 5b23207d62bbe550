/** The status JSON of `weft status --json` and `GET /api/v1/runs/:id`, built from store records. */
import { NotFoundError } from '../core/errors.js';
import type { PrState, PullRequestRecord } from '../store/pr-records.js';
import type { AttemptRecord, RunRecord, TaskRecord } from '../store/records.js';
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
  };
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
    })),
  };
}

export type RunStatusJson = { run: ReturnType<typeof runToJson>; tasks: ReturnType<typeof taskToJson>[] };

/** Loads a run's full status; NotFoundError when the run does not exist. */
export async function loadRunStatus(store: Store, runId: string): Promise<RunStatusJson> {
  const run = await store.getRun(runId);
  if (!run) throw new NotFoundError(`no run with id "${runId}"`);
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
  return { run: runToJson(run), tasks: tasks.map((t) => taskToJson(t, byTask.get(t.id) ?? [], prByTask.get(t.id) ?? null)) };
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
