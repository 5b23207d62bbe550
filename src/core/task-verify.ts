/** Which verify command gates a task: its own `Verify:` line, else the run's `--verify`. */
import type { TaskSpec } from './task.js';

/** The quality gate of one task (null: none). */
export function verifyFor(task: Pick<TaskSpec, 'verify'>, runVerify: string | null): string | null {
  return task.verify?.trim() || runVerify;
}

/** Every distinct verify command a run will use over these tasks. */
export function verifyCommands(runVerify: string | null, tasks: readonly Pick<TaskSpec, 'verify'>[]): string[] {
  const out = new Set<string>();
  if (runVerify && tasks.length === 0) out.add(runVerify);
  for (const t of tasks) {
    const v = verifyFor(t, runVerify);
    if (v) out.add(v);
  }
  return [...out];
}
