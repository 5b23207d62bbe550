/** Lays a run's dependency graph out left to right with dagre: positions for nodes, polylines for edges. */
import dagre from '@dagrejs/dagre';
import type { EdgeLabel, NodeLabel } from '@dagrejs/dagre';
import type { RunGraph } from './api';

export const NODE_W = 190;
export const NODE_H = 46;

export interface Placed {
  id: string;
  x: number;
  y: number;
}

export interface Layout {
  nodes: Map<string, Placed>;
  edges: { from: string; to: string; points: { x: number; y: number }[] }[];
  width: number;
  height: number;
}

/** Positions every node (centre) and routes every edge; the graph's shape only, not its statuses. */
export function layoutGraph(graph: Pick<RunGraph, 'nodes' | 'edges'>): Layout {
  const g = new dagre.graphlib.Graph<Record<string, unknown>, NodeLabel, EdgeLabel>();
  g.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 56, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of graph.nodes) g.setNode(n.id, { width: NODE_W, height: NODE_H });
  for (const e of graph.edges) if (g.hasNode(e.from) && g.hasNode(e.to)) g.setEdge(e.from, e.to);
  dagre.layout(g);
  const nodes = new Map<string, Placed>();
  let width = 0;
  let height = 0;
  for (const id of g.nodes()) {
    const n = g.node(id);
    nodes.set(id, { id, x: n.x ?? 0, y: n.y ?? 0 });
    width = Math.max(width, (n.x ?? 0) + NODE_W / 2 + 16);
    height = Math.max(height, (n.y ?? 0) + NODE_H / 2 + 16);
  }
  const edges = g.edges().map((e) => ({ from: e.v, to: e.w, points: g.edge(e).points ?? [] }));
  return { nodes, edges, width, height };
}
