/** Finding a task in a plan and the tasks around it in the dependency graph. */

import { NotFoundError } from '../core/errors.js';
import { closeIds } from '../core/close-match.js';
import type { Plan, PlannedTask } from '../core/task.js';

export { closeIds };

/** The task with this id; NotFoundError naming it and suggesting close ids otherwise. */
export function findTask(plan: Plan, taskId: string): PlannedTask {
  const task = plan.tasks.find((t) => t.id === taskId);
  if (task) return task;
  const close = closeIds(taskId, plan.tasks.map((t) => t.id));
  const hint = close.length > 0 ? `; did you mean ${close.join(', ')}?` : '';
  throw new NotFoundError(`unknown task "${taskId}"${hint}`, { taskId, suggestions: close });
}

/**
 * Tasks that build on `taskId`: `direct` depend on it, `transitive` depend on it only
 * through others. Both keep plan order so prompts are stable across runs.
 */
export function dependentsOf(plan: Plan, taskId: string): { direct: PlannedTask[]; transitive: PlannedTask[] } {
  const byDependency = new Map<string, PlannedTask[]>();
  for (const task of plan.tasks) {
    for (const dep of task.dependsOn) {
      const list = byDependency.get(dep);
      if (list) list.push(task);
      else byDependency.set(dep, [task]);
    }
  }
  const direct = new Set(byDependency.get(taskId) ?? []);
  const reached = new Set<PlannedTask>();
  // Iterative walk: plans can have very deep chains.
  const stack = [...direct];
  while (stack.length > 0) {
    const task = stack.pop()!;
    for (const next of byDependency.get(task.id) ?? []) {
      if (!reached.has(next) && !direct.has(next) && next.id !== taskId) {
        reached.add(next);
        stack.push(next);
      }
    }
  }
  return {
    direct: plan.tasks.filter((t) => direct.has(t)),
    transitive: plan.tasks.filter((t) => reached.has(t)),
  };
}
