/** Where a run's per-task files live under the data directory: the task log and each attempt's prompt. */
import { join } from 'node:path';

/** The most of a prompt kept per attempt. */
export const MAX_PROMPT_FILE = 256 * 1024;

function safe(taskId: string): string {
  return taskId.replace(/[^\w.-]/g, '_');
}

/** The prompt attempt `attempt` of a task was sent, as written by `Weft.executeRun`. */
export function attemptPromptPath(dataDir: string, runId: string, taskId: string, attempt: number): string {
  return join(dataDir, 'logs', runId, `${safe(taskId)}.attempt-${attempt}.prompt.md`);
}
