/** Finding a task in a plan and the tasks around it in the dependency graph. */

import { NotFoundError } from '../core/errors.js';
import type { Plan, PlannedTask } from '../core/task.js';

/** The task with this id; NotFoundError naming it and suggesting close ids otherwise. */
export function findTask(plan: Plan, taskId: string): PlannedTask {
  const task = plan.tasks.find((t) => t.id === taskId);
  if (task) return task;
  const close = closeIds(taskId, plan.tasks.map((t) => t.id));
  const hint = close.length > 0 ? `; did you mean ${close.join(', ')}?` : '';
  throw new NotFoundError(`unknown task "${taskId}"${hint}`, { taskId, suggestions: close });
}

/** Up to `limit` ids that look like a typo of `wanted`, closest first. */
export function closeIds(wanted: string, ids: readonly string[], limit = 3): string[] {
  const w = wanted.toLowerCase();
  const maxDistance = Math.max(1, Math.floor(w.length / 3));
  const scored: Array<{ id: string; score: number }> = [];
  for (const id of ids) {
    const lower = id.toLowerCase();
    // Case-only differences and substrings (T-1 vs task T-10) are likely the same intent.
    const score = lower === w ? 0 : lower.includes(w) || w.includes(lower) ? 1 : editDistance(w, lower, maxDistance);
    if (score <= maxDistance) scored.push({ id, score });
  }
  scored.sort((a, b) => a.score - b.score || a.id.localeCompare(b.id));
  return scored.slice(0, limit).map((s) => s.id);
}

/** Edit distance counting a swap of neighbours as one edit (typos), giving up (max + 1) once it must exceed `max`. */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, before[j - 2]! + 1);
      cur.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > max) return max + 1;
    before = prev;
    prev = cur;
  }
  return prev[b.length]!;
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
