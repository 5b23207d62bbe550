/** The API's task id: a run id and a task id joined by `:`, since a task id is unique only within its run. */
import { InputError } from '../core/errors.js';

export interface TaskRef {
  runId: string;
  taskId: string;
}

/** `runId:taskId`. Run ids are base-36 letters and digits, so the first `:` always separates the two. */
export function formatTaskRef(runId: string, taskId: string): string {
  return `${runId}:${taskId}`;
}

/** Splits an API task id (`RUN_ID/TASK_ID`, as the CLI writes it, is accepted too); InputError naming `field` otherwise. */
export function parseTaskRef(ref: string, field = 'id'): TaskRef {
  const at = ref.search(/[:/]/);
  if (at <= 0 || at === ref.length - 1) {
    throw new InputError(`${field}: expected a task id of the form RUN_ID:TASK_ID, got ${JSON.stringify(ref)}`, { field, value: ref });
  }
  return { runId: ref.slice(0, at), taskId: ref.slice(at + 1) };
}
