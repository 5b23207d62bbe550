/**
 * Lays a run's dependency graph out, left to right. Small graphs (< DAGRE_MAX nodes) go through
 * dagre; larger ones get a layered layout by dependency level that is linear in the edges (plus a
 * sort per level): levels are columns (tall ones wrap into several), nodes are ordered by the mean
 * row of what they depend on, a requirement's items kept together so they can be drawn as one box
 * when zoomed out. Pure: it runs in a Web Worker.
 */
import dagre from '@dagrejs/dagre';
import type { EdgeLabel, NodeLabel } from '@dagrejs/dagre';

export const NODE_W = 190;
export const NODE_H = 46;
export const DAGRE_MAX = 300;
const COL_W = NODE_W + 60;
const ROW_H = NODE_H + 14;
const MARGIN = 16;

/** What the layout needs: ids, the group (requirement) of each node, and edges as index pairs (from, to). */
export interface LayoutInput {
  ids: string[];
  groups: string[];
  /** Flat pairs: from0, to0, from1, to1, … (`from` must finish before `to`). */
  edges: Int32Array;
}

/** A requirement's nodes in one column: drawn as one box when zoomed out. */
export interface LayoutGroup {
  key: string;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  members: Int32Array;
}

export interface GraphLayout {
  kind: 'dagre' | 'layered';
  /** Node centres, by node index. */
  x: Float64Array;
  y: Float64Array;
  width: number;
  height: number;
  edges: Int32Array;
  /** dagre's polyline per edge (x0,y0,x1,y1,…), empty for the layered layout. */
  edgePoints: Float64Array[];
  groups: LayoutGroup[];
  /** Node index -> group index (-1 for dagre). */
  groupOf: Int32Array;
  /** Flat pairs of group indexes with at least one edge between them. */
  groupEdges: Int32Array;
  /** Hit testing for the layered layout: column x cell -> node index (-1 empty). */
  cells: { cols: number; rows: number; grid: Int32Array } | null;
}

/** Lays the graph out with the algorithm that fits its size. */
export function computeLayout(input: LayoutInput): GraphLayout {
  return input.ids.length < DAGRE_MAX ? dagreLayout(input) : layeredLayout(input);
}

function dagreLayout(input: LayoutInput): GraphLayout {
  const g = new dagre.graphlib.Graph<Record<string, unknown>, NodeLabel, EdgeLabel>();
  g.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 56, marginx: MARGIN, marginy: MARGIN });
  g.setDefaultEdgeLabel(() => ({}));
  const n = input.ids.length;
  for (let i = 0; i < n; i++) g.setNode(String(i), { width: NODE_W, height: NODE_H });
  for (let k = 0; k < input.edges.length; k += 2) g.setEdge(String(input.edges[k]), String(input.edges[k + 1]));
  dagre.layout(g);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  let width = 0;
  let height = 0;
  for (let i = 0; i < n; i++) {
    const node = g.node(String(i));
    x[i] = node.x ?? 0;
    y[i] = node.y ?? 0;
    width = Math.max(width, x[i]! + NODE_W / 2 + MARGIN);
    height = Math.max(height, y[i]! + NODE_H / 2 + MARGIN);
  }
  const edgePoints: Float64Array[] = [];
  for (let k = 0; k < input.edges.length; k += 2) {
    const pts = g.edge(String(input.edges[k]), String(input.edges[k + 1]))?.points ?? [];
    edgePoints.push(Float64Array.from(pts.flatMap((p) => [p.x, p.y])));
  }
  return { kind: 'dagre', x, y, width, height, edges: input.edges, edgePoints, groups: [], groupOf: new Int32Array(n).fill(-1), groupEdges: new Int32Array(0), cells: null };
}

function layeredLayout(input: LayoutInput): GraphLayout {
  const n = input.ids.length;
  const { edges } = input;
  // Dependencies in compressed form.
  const inDeg = new Int32Array(n);
  const outDeg = new Int32Array(n);
  for (let k = 0; k < edges.length; k += 2) {
    outDeg[edges[k]!]!++;
    inDeg[edges[k + 1]!]!++;
  }
  const outStart = new Int32Array(n + 1);
  const inStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    outStart[i + 1] = outStart[i]! + outDeg[i]!;
    inStart[i + 1] = inStart[i]! + inDeg[i]!;
  }
  const outList = new Int32Array(edges.length / 2);
  const inList = new Int32Array(edges.length / 2);
  const outFill = outStart.slice(0, n);
  const inFill = inStart.slice(0, n);
  for (let k = 0; k < edges.length; k += 2) {
    const a = edges[k]!;
    const b = edges[k + 1]!;
    outList[outFill[a]!++] = b;
    inList[inFill[b]!++] = a;
  }
  // Level = longest path from a root (Kahn's order); a cycle's leftovers go to level 0.
  const level = new Int32Array(n);
  const remaining = inDeg.slice();
  const queue = new Int32Array(n);
  let tail = 0;
  for (let i = 0; i < n; i++) if (remaining[i] === 0) queue[tail++] = i;
  for (let head = 0; head < tail; head++) {
    const u = queue[head]!;
    for (let k = outStart[u]!; k < outStart[u + 1]!; k++) {
      const v = outList[k]!;
      if (level[u]! + 1 > level[v]!) level[v] = level[u]! + 1;
      if (--remaining[v]! === 0) queue[tail++] = v;
    }
  }
  let levels = 0;
  for (let i = 0; i < n; i++) levels = Math.max(levels, level[i]! + 1);
  const byLevel: number[][] = Array.from({ length: levels }, () => []);
  for (let i = 0; i < n; i++) byLevel[level[i]!]!.push(i);
  // Rows per column: aim at a layout about as wide as a desktop graph box (2.5:1).
  const aspect = 2.5;
  const rows = Math.max(12, Math.ceil((COL_W * levels + Math.sqrt((COL_W * levels) ** 2 + 4 * aspect * ROW_H * COL_W * n)) / (2 * aspect * ROW_H)));
  const order = new Float64Array(n); // global vertical rank, for barycenters
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const groupOf = new Int32Array(n).fill(-1);
  const groups: LayoutGroup[] = [];
  const cellList: number[] = [];
  let col = 0;
  for (let l = 0; l < levels; l++) {
    const nodes = byLevel[l]!;
    const bary = new Map<number, number>();
    for (const i of nodes) {
      let sum = 0;
      let count = 0;
      for (let k = inStart[i]!; k < inStart[i + 1]!; k++) {
        sum += order[inList[k]!]!;
        count++;
      }
      bary.set(i, count ? sum / count : i / n);
    }
    // Keep each requirement's items together, ordered by their mean barycenter.
    const byGroup = new Map<string, number[]>();
    for (const i of nodes) {
      const g = input.groups[i] ?? input.ids[i]!;
      const list = byGroup.get(g);
      if (list) list.push(i);
      else byGroup.set(g, [i]);
    }
    const blocks = [...byGroup.entries()].map(([key, members]) => {
      members.sort((a, b) => bary.get(a)! - bary.get(b)! || a - b);
      return { key, members, b: members.reduce((s, i) => s + bary.get(i)!, 0) / members.length };
    });
    blocks.sort((a, b) => a.b - b.b || (a.key < b.key ? -1 : 1));
    let row = 0;
    const columnsHere = Math.max(1, Math.ceil(nodes.length / rows));
    const rowsHere = Math.ceil(nodes.length / columnsHere);
    let rank = 0;
    for (const block of blocks) {
      let current: LayoutGroup | null = null;
      const members: number[] = [];
      const flush = () => {
        if (current) {
          current.members = Int32Array.from(members);
          groups.push(current);
          members.length = 0;
        }
      };
      for (const i of block.members) {
        const c = col + Math.floor(row / rowsHere);
        const r = row % rowsHere;
        x[i] = MARGIN + c * COL_W + NODE_W / 2;
        y[i] = MARGIN + r * ROW_H + NODE_H / 2;
        order[i] = rank++ / Math.max(1, nodes.length);
        cellList[c * rows + r] = i + 1;
        if (!current || r === 0) {
          flush();
          current = { key: block.key, x0: x[i]! - NODE_W / 2, y0: y[i]! - NODE_H / 2, x1: x[i]! + NODE_W / 2, y1: y[i]! + NODE_H / 2, members: new Int32Array(0) };
        }
        current.y1 = y[i]! + NODE_H / 2;
        groupOf[i] = groups.length;
        members.push(i);
        row++;
      }
      flush();
    }
    col += columnsHere;
  }
  const grid = new Int32Array(col * rows).fill(-1);
  cellList.forEach((v, k) => (grid[k] = v - 1));
  const seen = new Set<number>();
  const groupEdges: number[] = [];
  for (let k = 0; k < edges.length; k += 2) {
    const a = groupOf[edges[k]!]!;
    const b = groupOf[edges[k + 1]!]!;
    if (a === b) continue;
    const key = a * groups.length + b;
    if (seen.has(key)) continue;
    seen.add(key);
    groupEdges.push(a, b);
  }
  let maxRow = 0;
  for (let i = 0; i < n; i++) maxRow = Math.max(maxRow, y[i]!);
  return {
    kind: 'layered',
    x,
    y,
    width: MARGIN * 2 + col * COL_W - (COL_W - NODE_W),
    height: maxRow + NODE_H / 2 + MARGIN,
    edges,
    edgePoints: [],
    groups,
    groupOf,
    groupEdges: Int32Array.from(groupEdges),
    cells: { cols: col, rows, grid },
  };
}

/** The node under a point of the layered layout, or -1. */
export function nodeAt(layout: GraphLayout, wx: number, wy: number): number {
  if (layout.cells) {
    const c = Math.floor((wx - MARGIN + (COL_W - NODE_W) / 2) / COL_W);
    const r = Math.floor((wy - MARGIN + (ROW_H - NODE_H) / 2) / ROW_H);
    if (c < 0 || r < 0 || c >= layout.cells.cols || r >= layout.cells.rows) return -1;
    const i = layout.cells.grid[c * layout.cells.rows + r]!;
    if (i < 0) return -1;
    return Math.abs(wx - layout.x[i]!) <= NODE_W / 2 && Math.abs(wy - layout.y[i]!) <= NODE_H / 2 ? i : -1;
  }
  for (let i = 0; i < layout.x.length; i++) if (Math.abs(wx - layout.x[i]!) <= NODE_W / 2 && Math.abs(wy - layout.y[i]!) <= NODE_H / 2) return i;
  return -1;
}

/** The collapsed group under a point, or -1. */
export function groupAt(layout: GraphLayout, wx: number, wy: number): number {
  return layout.groups.findIndex((g) => wx >= g.x0 && wx <= g.x1 && wy >= g.y0 && wy <= g.y1);
}
