/**
 * Cancelling a run or one task: the one code path the CLI (`weft cancel`) and the API (`POST
 * /runs/:id/cancel`, `DELETE /tasks/:id`, the deployment endpoints) share.
 */
import { AlreadyFinishedError, NotFoundError } from '../core/errors.js';
import { TERMINAL_TASK_STATUSES } from '../core/task.js';
import type { RunRecord, TaskRecord } from '../store/records.js';
import type { Store } from '../store/store.js';

const FINISHED_RUN: readonly RunRecord['status'][] = ['succeeded', 'failed', 'cancelled'];

export interface CancelResult {
  run: RunRecord;
  /** Tasks cancelled at once (not started); running ones stop at their next heartbeat. */
  cancelled: string[];
  /** The task asked for, when one was. */
  task?: TaskRecord;
}

/**
 * Cancels run `runId`, or its task `taskId`. A finished run or task is AlreadyFinishedError and nothing
 * changes (its history stays as it was). A run no engine is executing (`executing` false) whose tasks are
 * all finished afterwards, e.g. one never started, becomes `cancelled` at once instead of staying pending.
 */
export async function cancelRunOrTask(store: Store, runId: string, taskId: string | undefined, opts: { executing: boolean; now?: number }): Promise<CancelResult> {
  const now = opts.now ?? Date.now();
  const run = await store.getRun(runId);
  if (!run) throw new NotFoundError(`no run with id "${runId}"`, { runId });
  if (taskId === undefined) {
    if (FINISHED_RUN.includes(run.status)) throw new AlreadyFinishedError(`run ${runId} already finished (${run.status}): nothing to cancel`, { runId, status: run.status });
  } else {
    const task = await store.getTask(runId, taskId);
    if (!task) throw new NotFoundError(`no task "${taskId}" in run ${runId}`, { runId, taskId });
    if (TERMINAL_TASK_STATUSES.includes(task.status)) throw new AlreadyFinishedError(`task ${taskId} of run ${runId} already finished (${task.status}): nothing to cancel`, { runId, taskId, status: task.status });
  }
  const cancelled = await store.requestCancel(runId, taskId, now);
  let after = (await store.getRun(runId))!;
  if (!opts.executing && after.status !== 'running' && !FINISHED_RUN.includes(after.status)) {
    const counts = await store.countTasks(runId);
    if ((counts.pending ?? 0) + (counts.ready ?? 0) + (counts.running ?? 0) === 0) {
      await store.updateRun(runId, { status: 'cancelled', finishedAt: now });
      after = (await store.getRun(runId))!;
    }
  }
  const task = taskId === undefined ? undefined : await store.getTask(runId, taskId);
  return { run: after, cancelled, ...(task ? { task } : {}) };
}
