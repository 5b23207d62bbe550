/** Picks the task to do next: ready, longest remaining path first, then priority, then id. */
import { PRIORITY_RANK, type PlannedTask } from '../core/task.js';
import { formatMinutes } from './estimate.js';

/** The chosen task and why it was chosen. */
export interface NextTask {
  task: PlannedTask;
  reason: string;
  /** How many tasks were ready (the chosen one included). */
  readyCount: number;
}

/** Options for `pickNextTask`. */
export interface NextTaskOptions {
  /** Ids to treat as finished besides those the document marks done (e.g. from a run). */
  finished?: ReadonlySet<string>;
}

const EPSILON = 1e-6;

/** Orders ready tasks: longer remaining path first, then higher priority, then id (code-unit order, as the store does). */
export function compareNext(a: PlannedTask, b: PlannedTask): number {
  if (Math.abs(a.tailMinutes - b.tailMinutes) > EPSILON) return b.tailMinutes - a.tailMinutes;
  const p = PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority];
  if (p !== 0) return p;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The open task whose dependencies are all finished that should go first; null when none is ready. */
export function pickNextTask(tasks: readonly PlannedTask[], options: NextTaskOptions = {}): NextTask | null {
  const finished = options.finished;
  const isFinished = (id: string, byId: Map<string, PlannedTask>) => byId.get(id)?.status === 'done' || finished?.has(id) === true;
  const byId = new Map<string, PlannedTask>();
  for (const t of tasks) byId.set(t.id, t);
  let best: PlannedTask | undefined;
  let second: PlannedTask | undefined;
  let readyCount = 0;
  for (const t of tasks) {
    if (isFinished(t.id, byId)) continue;
    if (!t.dependsOn.every((d) => isFinished(d, byId))) continue;
    readyCount++;
    if (!best || compareNext(t, best) < 0) {
      second = best;
      best = t;
    } else if (!second || compareNext(t, second) < 0) second = t;
  }
  if (!best) return null;
  return { task: best, reason: explain(best, second, readyCount), readyCount };
}

function explain(task: PlannedTask, runnerUp: PlannedTask | undefined, readyCount: number): string {
  const deps = task.dependsOn.length === 0 ? 'it has no dependencies' : `its ${task.dependsOn.length === 1 ? 'dependency is' : `${task.dependsOn.length} dependencies are`} done`;
  const parts = [`${deps}; ${readyCount === 1 ? 'it is the only ready task' : `chosen from ${readyCount} ready tasks`}`];
  const path = `${formatMinutes(task.tailMinutes)} of work remain on the longest path through it${task.critical ? ' (the critical path)' : ''}`;
  if (!runnerUp) parts.push(path);
  else if (Math.abs(task.tailMinutes - runnerUp.tailMinutes) > EPSILON) parts.push(`${path}, more than through any other ready task`);
  else if (task.priority !== runnerUp.priority) parts.push(`${path}, tied with ${runnerUp.id}, and its priority ${task.priority} is higher`);
  else parts.push(`${path}, tied with ${runnerUp.id} in path and priority (${task.priority}); ${task.id} comes first by id`);
  return parts.join('; ');
}
