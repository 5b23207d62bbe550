/**
 * The run's ETA: simulates the remaining DAG with the run's concurrency (weft's critical-path-first
 * rule), each task taking its estimate scaled by what attempts actually took so far (minutes of
 * estimate -> milliseconds of wall time). Pure; the progress view, the API and the dashboard share it.
 */
import { simulateSchedule, type SimNode } from './simulate-schedule.js';
import type { Priority, TaskStatus } from './task.js';

/** The slice of a task the ETA needs. */
export interface EtaTask {
  id: string;
  status: TaskStatus;
  dependsOn: readonly string[];
  estimateMinutes: number;
  priority?: Priority;
  /** When the running attempt started (epoch ms); only read for running tasks. */
  runningSince?: number | null;
}

/** One observed attempt: what the plan estimated and how long it took. */
export interface EtaSample {
  estimateMinutes: number;
  durationMs: number;
}

export interface Eta {
  /** Milliseconds until every open task has ended; 0 when nothing is left. */
  remainingMs: number;
  /** Epoch ms of the expected end. */
  finishAt: number;
  /** `observed`: scaled by finished attempts; `estimates`: the plan's minutes as they are; `done`: nothing left. */
  basis: 'observed' | 'estimates' | 'done';
  samples: number;
  /** Wall-clock milliseconds one minute of estimate took. */
  msPerEstimateMinute: number;
  /** Tasks still to run or running. */
  openTasks: number;
}

const OPEN: readonly TaskStatus[] = ['pending', 'ready', 'running'];

/** Wall-clock milliseconds per estimated minute, from observed attempts (60 000 without any). */
export function observedPace(samples: readonly EtaSample[]): { msPerEstimateMinute: number; basis: 'observed' | 'estimates' } {
  let est = 0;
  let ms = 0;
  for (const s of samples) {
    if (!(s.durationMs >= 0) || !(s.estimateMinutes > 0)) continue;
    est += s.estimateMinutes;
    ms += s.durationMs;
  }
  return est > 0 && ms > 0 ? { msPerEstimateMinute: ms / est, basis: 'observed' } : { msPerEstimateMinute: 60_000, basis: 'estimates' };
}

/** Estimates when the run ends, from its remaining tasks, its concurrency and observed attempt durations. */
export function estimateEta(tasks: readonly EtaTask[], options: { concurrency: number; samples: readonly EtaSample[]; now?: number }): Eta {
  const now = options.now ?? Date.now();
  const pace = observedPace(options.samples);
  const samples = options.samples.length;
  const openTasks = tasks.filter((t) => OPEN.includes(t.status)).length;
  if (openTasks === 0) return { remainingMs: 0, finishAt: now, basis: 'done', samples, msPerEstimateMinute: pace.msPerEstimateMinute, openTasks };
  const nodes: SimNode[] = tasks.map((t) => {
    const open = OPEN.includes(t.status);
    const expected = Math.max(1, t.estimateMinutes) * pace.msPerEstimateMinute;
    let ms = expected;
    if (t.status === 'running' && t.runningSince !== undefined && t.runningSince !== null) {
      // Past its estimate a task is still expected to take a little while, not zero.
      ms = Math.max(expected - (now - t.runningSince), expected * 0.1);
    }
    return { id: t.id, dependsOn: t.dependsOn, estimateMinutes: open ? ms : 0, done: !open, started: t.status === 'running', ...(t.priority ? { priority: t.priority } : {}) };
  });
  const remainingMs = Math.round(simulateSchedule(nodes, Math.max(1, options.concurrency)).makespanMinutes);
  return { remainingMs, finishAt: now + remainingMs, basis: pace.basis, samples, msPerEstimateMinute: Math.round(pace.msPerEstimateMinute), openTasks };
}
