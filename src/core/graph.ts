/**
 * Dependency-graph algorithms over task ids. Everything here is O(V+E), works on
 * index arrays rather than objects, and never recurses (100k-deep chains are fine).
 */

/** The slice of a task the graph algorithms need. */
export interface GraphNode {
  id: string;
  dependsOn: readonly string[];
  estimateMinutes: number;
  /** Done nodes satisfy their dependents and take no time; they are left out of phases and paths. */
  done?: boolean;
}

/** A graph in compressed adjacency form: deps of node i are deps[depStart[i] .. depStart[i+1]). */
export interface IndexedGraph {
  ids: string[];
  index: Map<string, number>;
  depStart: Int32Array;
  deps: Int32Array;
  dependentStart: Int32Array;
  dependents: Int32Array;
}

/** A dependency naming an id that is not in the graph. */
export interface UnknownDependency {
  from: string;
  missing: string;
}

/** Builds the index form; unknown dependency ids are reported, not indexed. */
export function indexGraph(nodes: readonly GraphNode[]): { graph: IndexedGraph; unknown: UnknownDependency[] } {
  const n = nodes.length;
  const ids = new Array<string>(n);
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const id = nodes[i]!.id;
    ids[i] = id;
    index.set(id, i);
  }
  const unknown: UnknownDependency[] = [];
  const depStart = new Int32Array(n + 1);
  const depList: number[] = [];
  const inDegreeOut = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    depStart[i] = depList.length;
    for (const d of nodes[i]!.dependsOn) {
      const j = index.get(d);
      if (j === undefined) {
        unknown.push({ from: ids[i]!, missing: d });
        continue;
      }
      depList.push(j);
      inDegreeOut[j]!++;
    }
  }
  depStart[n] = depList.length;
  const deps = Int32Array.from(depList);
  // Reverse edges, by counting sort on the dependency side.
  const dependentStart = new Int32Array(n + 1);
  for (let j = 0; j < n; j++) dependentStart[j + 1] = dependentStart[j]! + inDegreeOut[j]!;
  const fill = dependentStart.slice(0, n);
  const dependents = new Int32Array(deps.length);
  for (let i = 0; i < n; i++) {
    for (let k = depStart[i]!; k < depStart[i + 1]!; k++) {
      const j = deps[k]!;
      dependents[fill[j]!++] = i;
    }
  }
  return { graph: { ids, index, depStart, deps, dependentStart, dependents }, unknown };
}

/**
 * Finds a dependency cycle. Returns its members in dependency order with the first repeated
 * at the end (`[A, B, C, A]` means A depends on B, B on C, C on A), or null when acyclic.
 */
export function findCycle(graph: IndexedGraph): string[] | null {
  const n = graph.ids.length;
  const { depStart, deps } = graph;
  // 0 = unvisited, 1 = on the DFS stack, 2 = finished.
  const color = new Uint8Array(n);
  const stack = new Int32Array(n);
  const cursor = new Int32Array(n);
  for (let root = 0; root < n; root++) {
    if (color[root] !== 0) continue;
    let top = 0;
    stack[0] = root;
    cursor[root] = depStart[root]!;
    color[root] = 1;
    while (top >= 0) {
      const u = stack[top]!;
      if (cursor[u]! < depStart[u + 1]!) {
        const v = deps[cursor[u]!++]!;
        if (color[v] === 1) {
          const cycle: string[] = [];
          let k = top;
          while (stack[k] !== v) k--;
          for (; k <= top; k++) cycle.push(graph.ids[stack[k]!]!);
          cycle.push(graph.ids[v]!);
          return cycle;
        }
        if (color[v] === 0) {
          color[v] = 1;
          cursor[v] = depStart[v]!;
          stack[++top] = v;
        }
      } else {
        color[u] = 2;
        top--;
      }
    }
  }
  return null;
}

/** Kahn's topological order (dependencies first, ties by input order); null when cyclic. */
export function topologicalOrder(graph: IndexedGraph): Int32Array | null {
  const n = graph.ids.length;
  const remaining = new Int32Array(n);
  for (let i = 0; i < n; i++) remaining[i] = graph.depStart[i + 1]! - graph.depStart[i]!;
  const order = new Int32Array(n);
  let tail = 0;
  for (let i = 0; i < n; i++) if (remaining[i] === 0) order[tail++] = i;
  for (let head = 0; head < tail; head++) {
    const u = order[head]!;
    for (let k = graph.dependentStart[u]!; k < graph.dependentStart[u + 1]!; k++) {
      const v = graph.dependents[k]!;
      if (--remaining[v]! === 0) order[tail++] = v;
    }
  }
  return tail === n ? order : null;
}

/** Schedule analysis of an acyclic graph, per node index. */
export interface ScheduleAnalysis {
  /** 1-based level among open nodes; 0 for done nodes. */
  phase: Int32Array;
  earliestStart: Float64Array;
  /** Longest path from the node's start to the end, own estimate included. */
  tail: Float64Array;
  slack: Float64Array;
  critical: Uint8Array;
  /** Open node indexes grouped by phase. */
  phases: number[][];
  /** Open node indexes along one longest path, first to last. */
  criticalPath: number[];
  criticalPathMinutes: number;
  totalMinutes: number;
}

const EPSILON = 1e-6;

/** Phases, earliest starts, tails, slack and a critical path for an acyclic graph. */
export function analyzeSchedule(nodes: readonly GraphNode[], graph: IndexedGraph, order: Int32Array): ScheduleAnalysis {
  const n = nodes.length;
  const phase = new Int32Array(n);
  const earliestStart = new Float64Array(n);
  const tail = new Float64Array(n);
  const slack = new Float64Array(n);
  const critical = new Uint8Array(n);
  const open = (i: number) => nodes[i]!.done !== true;
  const est = (i: number) => (open(i) ? nodes[i]!.estimateMinutes : 0);

  let totalMinutes = 0;
  let maxPhase = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    if (!open(i)) continue;
    totalMinutes += est(i);
    let p = 0;
    let es = 0;
    for (let e = graph.depStart[i]!; e < graph.depStart[i + 1]!; e++) {
      const d = graph.deps[e]!;
      if (!open(d)) continue;
      if (phase[d]! > p) p = phase[d]!;
      const ef = earliestStart[d]! + est(d);
      if (ef > es) es = ef;
    }
    phase[i] = p + 1;
    earliestStart[i] = es;
    if (p + 1 > maxPhase) maxPhase = p + 1;
  }

  let criticalPathMinutes = 0;
  for (let k = n - 1; k >= 0; k--) {
    const i = order[k]!;
    if (!open(i)) continue;
    let after = 0;
    for (let e = graph.dependentStart[i]!; e < graph.dependentStart[i + 1]!; e++) {
      const s = graph.dependents[e]!;
      if (open(s) && tail[s]! > after) after = tail[s]!;
    }
    tail[i] = est(i) + after;
    if (earliestStart[i]! + tail[i]! > criticalPathMinutes) criticalPathMinutes = earliestStart[i]! + tail[i]!;
  }

  const phases: number[][] = Array.from({ length: maxPhase }, () => []);
  for (let i = 0; i < n; i++) {
    if (!open(i)) continue;
    phases[phase[i]! - 1]!.push(i);
    const s = criticalPathMinutes - earliestStart[i]! - tail[i]!;
    slack[i] = s < EPSILON ? 0 : s;
    critical[i] = s < EPSILON ? 1 : 0;
  }

  const criticalPath: number[] = [];
  let current = -1;
  for (let i = 0; i < n; i++) {
    if (open(i) && critical[i] && earliestStart[i]! < EPSILON) {
      current = i;
      break;
    }
  }
  while (current >= 0) {
    criticalPath.push(current);
    const finish = earliestStart[current]! + est(current);
    let next = -1;
    for (let e = graph.dependentStart[current]!; e < graph.dependentStart[current + 1]!; e++) {
      const s = graph.dependents[e]!;
      if (open(s) && critical[s] && Math.abs(earliestStart[s]! - finish) < EPSILON && (next < 0 || s < next)) next = s;
    }
    current = next;
  }

  return { phase, earliestStart, tail, slack, critical, phases, criticalPath, criticalPathMinutes, totalMinutes };
}

/** A lower bound on the makespan with `concurrency` parallel workers: max(critical path, work / workers). */
export function makespanLowerBound(criticalPathMinutes: number, totalMinutes: number, concurrency: number): number {
  return Math.max(criticalPathMinutes, totalMinutes / Math.max(1, concurrency));
}
