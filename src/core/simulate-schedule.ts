/**
 * Discrete-event simulation of running a plan with N workers, for `weft simulate` and the
 * schedule-quality benchmark. Pure and O((V+E) log V).
 */
import { indexGraph, makespanLowerBound, topologicalOrder, analyzeSchedule, type GraphNode } from './graph.js';
import { PRIORITY_RANK, type Priority } from './task.js';

export interface SimNode extends GraphNode {
  priority?: Priority;
  /** Already running: starts before any other ready node (its estimate is what remains of it). */
  started?: boolean;
}

/**
 * `critical-path` is weft's engine rule; the others are what a user would otherwise pick, kept for
 * the schedule-quality benchmark: `fcfs` starts ready tasks in the order they became ready,
 * `taskmaster` follows Task Master's `next` (priority, then fewest dependencies, then id), and
 * `phase-by-phase` waits for a whole phase before starting the next.
 */
export const SCHEDULE_POLICIES = ['critical-path', 'phase-by-phase', 'fcfs', 'taskmaster'] as const;
export type SchedulePolicy = (typeof SCHEDULE_POLICIES)[number];

export interface SimulationResult {
  makespanMinutes: number;
  lowerBoundMinutes: number;
  criticalPathMinutes: number;
  totalMinutes: number;
  /** Busy worker time / (makespan × workers). */
  utilization: number;
  /** Task index -> start minute (open tasks only; -1 for done tasks). */
  start: Float64Array;
}

/** A binary heap keyed by a comparator; small, since the simulation is the only user. */
class Heap<T> {
  readonly #items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => boolean) {}
  get size(): number {
    return this.#items.length;
  }
  push(x: T): void {
    const a = this.#items;
    a.push(x);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): T | undefined {
    const a = this.#items;
    const top = a[0];
    const last = a.pop();
    if (a.length && last !== undefined) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
  peek(): T | undefined {
    return this.#items[0];
  }
}

/**
 * Simulates list scheduling. `critical-path` starts, whenever a worker is free, the ready task with
 * the longest remaining path (then priority, then input order) — weft's engine rule.
 * `phase-by-phase` waits for a whole phase before starting the next.
 */
export function simulateSchedule(nodes: readonly SimNode[], workers: number, policy: SchedulePolicy = 'critical-path'): SimulationResult {
  const { graph } = indexGraph(nodes);
  const order = topologicalOrder(graph);
  if (!order) throw new Error('cannot simulate a cyclic graph');
  const a = analyzeSchedule(nodes, graph, order);
  const n = nodes.length;
  const open = (i: number) => nodes[i]!.done !== true;
  const rank = (i: number) => PRIORITY_RANK[nodes[i]!.priority ?? 'medium'];
  const started = (i: number) => nodes[i]!.started === true;
  // Order in which tasks became ready (fcfs), and dependency counts (taskmaster).
  const readySeq = new Int32Array(n);
  let seq = 0;
  const depCount = (i: number) => graph.depStart[i + 1]! - graph.depStart[i]!;
  const before = (x: number, y: number) => {
    if (started(x) !== started(y)) return started(x);
    if (policy === 'fcfs') return readySeq[x] !== readySeq[y] ? readySeq[x]! < readySeq[y]! : x < y;
    if (policy === 'taskmaster') {
      if (rank(x) !== rank(y)) return rank(x) < rank(y);
      if (depCount(x) !== depCount(y)) return depCount(x) < depCount(y);
      return x < y;
    }
    if (policy === 'phase-by-phase' && a.phase[x] !== a.phase[y]) return a.phase[x]! < a.phase[y]!;
    if (a.tail[x] !== a.tail[y]) return a.tail[x]! > a.tail[y]!;
    if (rank(x) !== rank(y)) return rank(x) < rank(y);
    return x < y;
  };
  const waiting = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let e = graph.depStart[i]!; e < graph.depStart[i + 1]!; e++) if (open(graph.deps[e]!)) waiting[i]!++;
  }
  const ready = new Heap<number>(before);
  const makeReady = (i: number) => {
    readySeq[i] = seq++;
    ready.push(i);
  };
  for (let i = 0; i < n; i++) if (open(i) && waiting[i] === 0) makeReady(i);
  const running = new Heap<{ end: number; i: number }>((x, y) => x.end < y.end || (x.end === y.end && x.i < y.i));
  const start = new Float64Array(n).fill(-1);
  const remainingInPhase = new Int32Array(a.phases.length + 1);
  for (let i = 0; i < n; i++) if (open(i)) remainingInPhase[a.phase[i]!]!++;
  let currentPhase = 1;
  let now = 0;
  let busy = 0;
  const w = Math.max(1, workers);
  while (ready.size || running.size) {
    while (running.size < w && ready.size) {
      const next = ready.peek()!;
      if (policy === 'phase-by-phase' && a.phase[next]! > currentPhase) break;
      ready.pop();
      start[next] = now;
      const est = nodes[next]!.estimateMinutes;
      busy += est;
      running.push({ end: now + est, i: next });
    }
    const done = running.pop();
    if (!done) break;
    now = done.end;
    const finished = [done];
    while (running.size && running.peek()!.end === now) finished.push(running.pop()!);
    for (const { i } of finished) {
      if (--remainingInPhase[a.phase[i]!]! === 0) while (currentPhase < a.phases.length && remainingInPhase[currentPhase] === 0) currentPhase++;
      for (let e = graph.dependentStart[i]!; e < graph.dependentStart[i + 1]!; e++) {
        const s = graph.dependents[e]!;
        if (open(s) && --waiting[s]! === 0) makeReady(s);
      }
    }
  }
  const lowerBoundMinutes = makespanLowerBound(a.criticalPathMinutes, a.totalMinutes, w);
  return {
    makespanMinutes: now,
    lowerBoundMinutes,
    criticalPathMinutes: a.criticalPathMinutes,
    totalMinutes: a.totalMinutes,
    utilization: now > 0 ? busy / (now * w) : 1,
    start,
  };
}
