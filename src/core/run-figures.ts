/**
 * Honest figures over a run's tasks (or many runs'): every outcome counted apart, success rate over
 * the tasks that ran, throughput over the time tasks were actually running, and for each failure the
 * number of tasks it blocks. Pure; the dashboard, the progress view, `weft status`/`stats` and the API
 * all use it.
 */
import type { TaskStatus } from './task.js';

/** The outcome buckets shown everywhere, in display order. `pending` includes `ready`. */
export const FIGURE_BUCKETS = ['succeeded', 'failed', 'blocked', 'cancelled', 'running', 'pending', 'done'] as const;
export type FigureBucket = (typeof FIGURE_BUCKETS)[number];

/** The slice of a task the figures need. Times are epoch milliseconds. */
export interface FigureTask {
  id: string;
  status: TaskStatus;
  dependsOn: readonly string[];
  startedAt: number | null;
  finishedAt: number | null;
}

/** A task that failed (or was cancelled) and how many tasks wait on it for ever. */
export interface FailureImpact {
  id: string;
  status: 'failed' | 'cancelled';
  /** Transitive dependents that did not succeed (blocked, or not yet marked blocked). */
  blocks: number;
}

export interface RunFigures {
  /** Every task, including those the document marks done. */
  total: number;
  counts: Record<FigureBucket, number>;
  /** Tasks this run has to do (total minus done). */
  open: number;
  /** Tasks that reached an end in this run: succeeded, failed, blocked, cancelled. */
  finished: number;
  /** Tasks that ran to an outcome: succeeded + failed. */
  ran: number;
  /** Percent of the tasks that ran which succeeded (two decimals), null before any ran. */
  successRate: number | null;
  /** Time during which at least one task was running (union of the tasks' intervals). */
  activeMs: number;
  /** Tasks that ran, per hour of active time; null until it means something. */
  throughputPerHour: number | null;
  /** Failed and cancelled tasks, most blocking first. */
  failures: FailureImpact[];
}

/** Which bucket a task status is counted in. */
export function bucketOf(status: TaskStatus): FigureBucket {
  return status === 'ready' ? 'pending' : status;
}

/** An empty count record. */
export function emptyCounts(): Record<FigureBucket, number> {
  return { succeeded: 0, failed: 0, blocked: 0, cancelled: 0, running: 0, pending: 0, done: 0 };
}

/** Length of the union of [start, end) intervals. */
export function unionLength(intervals: [number, number][]): number {
  intervals.sort((a, b) => a[0] - b[0]);
  let total = 0;
  let curStart = -Infinity;
  let curEnd = -Infinity;
  for (const [s, e] of intervals) {
    if (e <= s) continue;
    if (s > curEnd) {
      if (curEnd > curStart) total += curEnd - curStart;
      curStart = s;
      curEnd = e;
    } else if (e > curEnd) curEnd = e;
  }
  if (curEnd > curStart) total += curEnd - curStart;
  return total;
}

/**
 * For each failed or cancelled task, its transitive dependents that did not succeed; `blockedBy`
 * maps each such dependent to the failures it waits on. O(failures × reach).
 */
export function failureImpact(tasks: readonly FigureTask[]): { failures: FailureImpact[]; blockedBy: Map<string, string[]> } {
  const index = new Map<string, number>();
  tasks.forEach((t, i) => index.set(t.id, i));
  const dependents: number[][] = tasks.map(() => []);
  tasks.forEach((t, i) => {
    for (const d of t.dependsOn) {
      const j = index.get(d);
      if (j !== undefined) dependents[j]!.push(i);
    }
  });
  const seen = new Int32Array(tasks.length).fill(-1);
  const failures: FailureImpact[] = [];
  const blockedBy = new Map<string, string[]>();
  tasks.forEach((t, root) => {
    if (t.status !== 'failed' && t.status !== 'cancelled') return;
    let blocks = 0;
    const stack = [root];
    seen[root] = root;
    while (stack.length) {
      const u = stack.pop()!;
      for (const v of dependents[u]!) {
        if (seen[v] === root) continue;
        seen[v] = root;
        const s = tasks[v]!.status;
        if (s === 'succeeded' || s === 'done') continue;
        blocks++;
        const id = tasks[v]!.id;
        const list = blockedBy.get(id);
        if (list) list.push(t.id);
        else blockedBy.set(id, [t.id]);
        stack.push(v);
      }
    }
    failures.push({ id: t.id, status: t.status, blocks });
  });
  failures.sort((a, b) => b.blocks - a.blocks || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { failures, blockedBy };
}

/** Figures over tasks; `now` closes the intervals of running tasks. */
export function computeFigures(tasks: readonly FigureTask[], now: number = Date.now()): RunFigures {
  const counts = emptyCounts();
  const intervals: [number, number][] = [];
  for (const t of tasks) {
    counts[bucketOf(t.status)]++;
    if (t.startedAt !== null && t.status !== 'done') intervals.push([t.startedAt, t.finishedAt ?? (t.status === 'running' ? now : t.startedAt)]);
  }
  const ran = counts.succeeded + counts.failed;
  const activeMs = unionLength(intervals);
  return {
    total: tasks.length,
    counts,
    open: tasks.length - counts.done,
    finished: ran + counts.blocked + counts.cancelled,
    ran,
    successRate: ran ? Math.round((counts.succeeded / ran) * 10000) / 100 : null,
    activeMs,
    // Under a second of work says nothing about a rate.
    throughputPerHour: ran > 0 && activeMs >= 1000 ? Math.round((ran / activeMs) * 3_600_000 * 10) / 10 : null,
    failures: failureImpact(tasks).failures,
  };
}

/** `12 succeeded · 2 failed · 40 blocked …`, leaving out empty buckets. */
export function describeCounts(counts: Record<FigureBucket, number>): string {
  return FIGURE_BUCKETS.filter((b) => counts[b] > 0).map((b) => `${counts[b]} ${b}`).join(' · ');
}
