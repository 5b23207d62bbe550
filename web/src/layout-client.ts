/** Layouts computed in a Web Worker and cached by the graph's shape (a retry run or a reload reuses it). */
import type { RunGraph } from './api';
import { computeLayout, type GraphLayout, type LayoutInput } from './graph-layout';

const cache = new Map<string, Promise<GraphLayout>>();
let worker: Worker | null | undefined;
let nextId = 0;
const waiting = new Map<number, (l: GraphLayout) => void>();

function getWorker(): Worker | null {
  if (worker !== undefined) return worker;
  try {
    worker = new Worker(new URL('./layout-worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<{ id: number; layout: GraphLayout }>) => {
      waiting.get(e.data.id)?.(e.data.layout);
      waiting.delete(e.data.id);
    };
  } catch {
    worker = null;
  }
  return worker;
}

/** FNV-1a over the ids, groups and edges: the cache key of a graph's shape. */
function fingerprint(input: LayoutInput): string {
  let h = 0x811c9dc5;
  const mix = (s: string) => {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  };
  for (let i = 0; i < input.ids.length; i++) mix(`${input.ids[i]}\u0000${input.groups[i]}\u0001`);
  for (let k = 0; k < input.edges.length; k++) h = Math.imul(h ^ input.edges[k]!, 0x01000193);
  return `${input.ids.length}:${input.edges.length}:${(h >>> 0).toString(36)}`;
}

/** The layout input of a run graph: nodes by index, edges as index pairs. */
export function layoutInput(graph: Pick<RunGraph, 'nodes' | 'edges'>): LayoutInput {
  const index = new Map(graph.nodes.map((n, i) => [n.id, i]));
  const edges: number[] = [];
  for (const e of graph.edges) {
    const a = index.get(e.from);
    const b = index.get(e.to);
    if (a !== undefined && b !== undefined) edges.push(a, b);
  }
  return { ids: graph.nodes.map((n) => n.id), groups: graph.nodes.map((n) => n.requirementId), edges: Int32Array.from(edges) };
}

/** The layout of a graph: from the cache, else computed off the main thread. */
export function layoutFor(graph: Pick<RunGraph, 'nodes' | 'edges'>): Promise<GraphLayout> {
  const input = layoutInput(graph);
  const key = fingerprint(input);
  let p = cache.get(key);
  if (!p) {
    const w = getWorker();
    p = w
      ? new Promise<GraphLayout>((resolve) => {
          const id = nextId++;
          waiting.set(id, resolve);
          w.postMessage({ id, input });
        })
      : Promise.resolve(computeLayout(input));
    cache.set(key, p);
  }
  return p;
}
