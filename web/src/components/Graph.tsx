/**
 * The run's dependency graph. Layout comes from a Web Worker (cached by the graph's shape); live
 * statuses only recolour. Small graphs are SVG (dagre); large ones are drawn on a canvas, only what is
 * in view, and a requirement's items collapse into one box when zoomed out. Wheel and pinch zoom at
 * the cursor, drag pans, +/−/0 and the arrow keys work when the graph has focus; the view is kept
 * when a task opens.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { GraphNode, RunGraph, TaskStatus } from '../api';
import { groupAt, NODE_H, NODE_W, nodeAt, type GraphLayout } from '../graph-layout';
import { palette, prefersDark, STATUS_GLYPH } from '../status';

interface Props {
  graph: RunGraph;
  layout: GraphLayout;
  /** Live status per node index (mutated in place; `version` says when). */
  statuses: TaskStatus[];
  version: number;
  selected: string | null;
  onSelect: (id: string) => void;
  /** A node to bring into view (search, table). */
  focus: { id: string; n: number } | null;
}

interface View {
  x: number;
  y: number;
  scale: number;
}

const MIN_SCALE = 0.01;
const MAX_SCALE = 3;
const COLLAPSE_BELOW = 0.35;
const LABELS_FROM = 0.5;

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function fitView(layout: GraphLayout, w: number, h: number): View {
  const scale = Math.max(MIN_SCALE, Math.min(1.2, (w - 16) / Math.max(layout.width, 1), (h - 16) / Math.max(layout.height, 1)));
  return { scale, x: (w - layout.width * scale) / 2, y: Math.max(4, (h - layout.height * scale) / 2) };
}

export function Graph({ graph, layout, statuses, version, selected, onSelect, focus }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ w: 800, h: 560 });
  const [view, setView] = useState<View | null>(null);
  const viewRef = useRef<View | null>(null);
  viewRef.current = view;
  const drag = useRef<{ x: number; y: number; vx: number; vy: number; moved: boolean } | null>(null);
  const index = useRef(new Map<string, number>());
  const canvasMode = layout.kind === 'layered';

  useEffect(() => {
    index.current = new Map(graph.nodes.map((n, i) => [n.id, i]));
  }, [graph]);

  // Measure the box; fit once per layout (never again on resize: opening a task keeps the view).
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = () => setSize({ w: el.clientWidth, h: el.clientHeight });
    measure();
    setView(fitView(layout, el.clientWidth, el.clientHeight));
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, [layout]);

  useEffect(() => {
    if (!focus) return;
    const i = index.current.get(focus.id);
    if (i === undefined) return;
    const scale = Math.max(viewRef.current?.scale ?? 1, 0.8);
    setView({ scale, x: size.w / 2 - layout.x[i]! * scale, y: size.h / 2 - layout.y[i]! * scale });
  }, [focus]);

  const zoomAt = (factor: number, cx: number, cy: number) => {
    setView((v) => {
      if (!v) return v;
      const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, v.scale * factor));
      const k = scale / v.scale;
      return { scale, x: cx - (cx - v.x) * k, y: cy - (cy - v.y) * k };
    });
  };
  const onWheel = (e: WheelEvent) => {
    e.preventDefault();
    const r = box.current!.getBoundingClientRect();
    zoomAt(Math.exp(-e.deltaY * (e.ctrlKey ? 0.01 : 0.0015)), e.clientX - r.left, e.clientY - r.top);
  };
  const onDown = (e: PointerEvent) => {
    if (!view || e.button !== 0) return;
    drag.current = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, moved: false };
  };
  const onMove = (e: PointerEvent) => {
    const d = drag.current;
    if (!d) return;
    if (Math.abs(e.clientX - d.x) + Math.abs(e.clientY - d.y) > 4) d.moved = true;
    if (d.moved) setView((v) => (v ? { ...v, x: d.vx + (e.clientX - d.x), y: d.vy + (e.clientY - d.y) } : v));
  };
  const onUp = (e: PointerEvent) => {
    const d = drag.current;
    drag.current = null;
    if (!d || d.moved || !canvasMode || !view) return;
    const r = box.current!.getBoundingClientRect();
    const wx = (e.clientX - r.left - view.x) / view.scale;
    const wy = (e.clientY - r.top - view.y) / view.scale;
    if (view.scale < COLLAPSE_BELOW) {
      const g = groupAt(layout, wx, wy);
      if (g >= 0) {
        // Open the box: zoom into it.
        const grp = layout.groups[g]!;
        const scale = 0.8;
        setView({ scale, x: size.w / 2 - ((grp.x0 + grp.x1) / 2) * scale, y: size.h / 2 - ((grp.y0 + grp.y1) / 2) * scale });
      }
      return;
    }
    const i = nodeAt(layout, wx, wy);
    if (i >= 0) onSelect(graph.nodes[i]!.id);
  };
  const onKey = (e: KeyboardEvent) => {
    const step = 80;
    const map: Record<string, () => void> = {
      '+': () => zoomAt(1.25, size.w / 2, size.h / 2),
      '=': () => zoomAt(1.25, size.w / 2, size.h / 2),
      '-': () => zoomAt(0.8, size.w / 2, size.h / 2),
      '0': () => setView(fitView(layout, size.w, size.h)),
      ArrowLeft: () => setView((v) => v && { ...v, x: v.x + step }),
      ArrowRight: () => setView((v) => v && { ...v, x: v.x - step }),
      ArrowUp: () => setView((v) => v && { ...v, y: v.y + step }),
      ArrowDown: () => setView((v) => v && { ...v, y: v.y - step }),
    };
    const f = map[e.key];
    if (f) {
      e.preventDefault();
      f();
    }
  };

  return (
    <div class="graph-wrap">
      <div class="graph-tools" role="toolbar" aria-label="Graph view">
        <button type="button" onClick={() => zoomAt(1.25, size.w / 2, size.h / 2)} aria-label="Zoom in">+</button>
        <button type="button" onClick={() => zoomAt(0.8, size.w / 2, size.h / 2)} aria-label="Zoom out">−</button>
        <button type="button" onClick={() => setView(fitView(layout, size.w, size.h))}>Fit</button>
        <span class="muted">{view ? `${Math.round(view.scale * 100)}%` : ''}{canvasMode && view && view.scale < COLLAPSE_BELOW ? ' · requirements collapsed (click one to open)' : ''}</span>
      </div>
      <div
        class="graph"
        ref={box}
        tabIndex={0}
        role="group"
        aria-roledescription="graph"
        aria-label="Dependency graph: + and − zoom, 0 fits, arrow keys pan; the task table lists the same tasks"
        onWheel={onWheel}
        onPointerDown={onDown}
        onPointerMove={onMove}
        onPointerUp={onUp}
        onPointerLeave={() => (drag.current = null)}
        onKeyDown={onKey}
      >
        {view ? (
          canvasMode ? (
            <CanvasGraph graph={graph} layout={layout} statuses={statuses} version={version} selected={selected} view={view} size={size} />
          ) : (
            <SvgGraph graph={graph} layout={layout} statuses={statuses} selected={selected} view={view} onSelect={onSelect} />
          )
        ) : null}
      </div>
    </div>
  );
}

function SvgGraph({ graph, layout, statuses, selected, view, onSelect }: { graph: RunGraph; layout: GraphLayout; statuses: TaskStatus[]; selected: string | null; view: View; onSelect: (id: string) => void }) {
  const colors = palette();
  const critical = new Set(graph.criticalPath);
  const criticalEdges = new Set<string>();
  for (let i = 1; i < graph.criticalPath.length; i++) criticalEdges.add(`${graph.criticalPath[i - 1]}->${graph.criticalPath[i]}`);
  const edges: preact.JSX.Element[] = [];
  for (let k = 0; k < layout.edges.length; k += 2) {
    const from = graph.nodes[layout.edges[k]!]!.id;
    const to = graph.nodes[layout.edges[k + 1]!]!.id;
    const pts = layout.edgePoints[k / 2] ?? new Float64Array(0);
    let d = '';
    for (let p = 0; p < pts.length; p += 2) d += `${p ? 'L' : 'M'}${pts[p]!.toFixed(1)},${pts[p + 1]!.toFixed(1)} `;
    const hot = criticalEdges.has(`${from}->${to}`);
    edges.push(<path key={`${from}->${to}`} d={d} class={hot ? 'edge critical' : 'edge'} data-critical={hot ? 'true' : 'false'} marker-end={hot ? 'url(#arrow-critical)' : 'url(#arrow)'} />);
  }
  return (
    <svg width="100%" height="100%" data-testid="run-graph" aria-hidden="true">
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" fill="#8c959f" />
        </marker>
        <marker id="arrow-critical" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="12" markerHeight="12" orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" fill="#e16f24" />
        </marker>
      </defs>
      <g transform={`translate(${view.x},${view.y}) scale(${view.scale})`}>
        {edges}
        {graph.nodes.map((n: GraphNode, i) => {
          const status = statuses[i] ?? n.status;
          const c = colors[status];
          const hot = critical.has(n.id);
          return (
            <g
              key={n.id}
              class={`node status-${status}${hot ? ' critical' : ''}${selected === n.id ? ' selected' : ''}`}
              transform={`translate(${layout.x[i]! - NODE_W / 2},${layout.y[i]! - NODE_H / 2})`}
              data-task-id={n.id}
              data-status={status}
              data-critical={hot ? 'true' : 'false'}
              onClick={(e) => {
                e.stopPropagation();
                onSelect(n.id);
              }}
            >
              <title>{`${n.id}: ${n.title} (${status}${hot ? ', critical path' : ''})`}</title>
              <rect width={NODE_W} height={NODE_H} rx="8" fill={c.fill} stroke={hot ? '#e16f24' : c.stroke} stroke-width={hot ? 3 : 1.5} />
              <rect width="6" height={NODE_H} rx="3" fill={c.stroke} />
              <text x="14" y="19" class="node-title">{clip(n.title, 24)}</text>
              <text x="14" y="36" class="node-sub" fill={c.text}>{clip(`${STATUS_GLYPH[status]} ${status} · ${n.id}`, 30)}</text>
            </g>
          );
        })}
      </g>
    </svg>
  );
}

const STATUS_RANK: Record<TaskStatus, number> = { failed: 0, running: 1, blocked: 2, cancelled: 3, ready: 4, pending: 5, succeeded: 6, done: 7 };

function CanvasGraph({ graph, layout, statuses, version, selected, view, size }: { graph: RunGraph; layout: GraphLayout; statuses: TaskStatus[]; version: number; selected: string | null; view: View; size: { w: number; h: number } }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const frame = useRef(0);
  const drawn = useRef(0);
  const critical = useRef<{ nodes: Uint8Array; edges: Set<number> } | null>(null);
  if (!critical.current || critical.current.nodes.length !== graph.nodes.length) {
    const index = new Map(graph.nodes.map((n, i) => [n.id, i]));
    const nodes = new Uint8Array(graph.nodes.length);
    const edges = new Set<number>();
    for (let i = 0; i < graph.criticalPath.length; i++) {
      const a = index.get(graph.criticalPath[i]!);
      if (a !== undefined) nodes[a] = 1;
    }
    for (let k = 0; k < layout.edges.length; k += 2) if (nodes[layout.edges[k]!] && nodes[layout.edges[k + 1]!]) edges.add(k);
    critical.current = { nodes, edges };
  }

  useEffect(() => {
    cancelAnimationFrame(frame.current);
    frame.current = requestAnimationFrame(() => draw());
    return () => cancelAnimationFrame(frame.current);
  }, [view, version, size, selected, layout]);

  const draw = () => {
    const el = canvas.current;
    if (!el) return;
    const dpr = Math.min(2, devicePixelRatio || 1);
    if (el.width !== Math.round(size.w * dpr) || el.height !== Math.round(size.h * dpr)) {
      el.width = Math.round(size.w * dpr);
      el.height = Math.round(size.h * dpr);
    }
    const ctx = el.getContext('2d');
    if (!ctx) return;
    // Tests and benchmarks wait for frames through this attribute.
    el.dataset.drawn = String(++drawn.current);
    const dark = prefersDark();
    const colors = palette();
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, size.w, size.h);
    const s = view.scale;
    const wx0 = -view.x / s;
    const wy0 = -view.y / s;
    const wx1 = (size.w - view.x) / s;
    const wy1 = (size.h - view.y) / s;
    ctx.setTransform(dpr * s, 0, 0, dpr * s, dpr * view.x, dpr * view.y);
    const { x, y } = layout;
    const crit = critical.current!;
    if (s < COLLAPSE_BELOW && layout.groups.length) {
      // Requirements as boxes, edges between them.
      ctx.lineWidth = 1 / s;
      ctx.strokeStyle = dark ? 'rgba(140,149,159,0.35)' : 'rgba(140,149,159,0.45)';
      ctx.beginPath();
      for (let k = 0; k < layout.groupEdges.length; k += 2) {
        const a = layout.groups[layout.groupEdges[k]!]!;
        const b = layout.groups[layout.groupEdges[k + 1]!]!;
        const ax = a.x1;
        const ay = (a.y0 + a.y1) / 2;
        const bx = b.x0;
        const by = (b.y0 + b.y1) / 2;
        if (Math.max(ax, bx) < wx0 || Math.min(ax, bx) > wx1 || Math.max(ay, by) < wy0 || Math.min(ay, by) > wy1) continue;
        ctx.moveTo(ax, ay);
        ctx.lineTo(bx, by);
      }
      ctx.stroke();
      ctx.font = `${11 / s}px system-ui, sans-serif`;
      for (const g of layout.groups) {
        if (g.x1 < wx0 || g.x0 > wx1 || g.y1 < wy0 || g.y0 > wy1) continue;
        let worst: TaskStatus = 'done';
        const counts = new Map<TaskStatus, number>();
        for (const i of g.members) {
          const st = statuses[i]!;
          counts.set(st, (counts.get(st) ?? 0) + 1);
          if (STATUS_RANK[st] < STATUS_RANK[worst]) worst = st;
        }
        const c = colors[worst];
        ctx.fillStyle = c.fill;
        ctx.strokeStyle = c.stroke;
        ctx.lineWidth = 2 / s;
        ctx.fillRect(g.x0, g.y0, g.x1 - g.x0, g.y1 - g.y0);
        ctx.strokeRect(g.x0, g.y0, g.x1 - g.x0, g.y1 - g.y0);
        // A bar of the members' statuses along the left edge.
        let yy = g.y0;
        const h = (g.y1 - g.y0) / g.members.length;
        for (const st of [...counts.keys()].sort((a, b) => STATUS_RANK[a] - STATUS_RANK[b])) {
          ctx.fillStyle = colors[st].stroke;
          ctx.fillRect(g.x0, yy, 24, h * counts.get(st)!);
          yy += h * counts.get(st)!;
        }
        if ((g.x1 - g.x0) * s > 36 && (g.y1 - g.y0) * s > 12) {
          ctx.fillStyle = c.text;
          ctx.fillText(`${STATUS_GLYPH[worst]} ${g.key} · ${g.members.length}`, g.x0 + 30, g.y0 + 14 / s, g.x1 - g.x0 - 34);
        }
      }
      return;
    }
    // Edges: only those whose box meets the view; critical ones on top.
    const edges = layout.edges;
    ctx.lineWidth = 1.2;
    ctx.strokeStyle = dark ? 'rgba(140,149,159,0.45)' : 'rgba(110,119,129,0.5)';
    ctx.beginPath();
    const hot: number[] = [];
    for (let k = 0; k < edges.length; k += 2) {
      const a = edges[k]!;
      const b = edges[k + 1]!;
      const ax = x[a]! + NODE_W / 2;
      const ay = y[a]!;
      const bx = x[b]! - NODE_W / 2;
      const by = y[b]!;
      if (Math.max(ax, bx) < wx0 || Math.min(ax, bx) > wx1 || Math.max(ay, by) < wy0 || Math.min(ay, by) > wy1) continue;
      if (crit.edges.has(k)) {
        hot.push(k);
        continue;
      }
      const mx = (ax + bx) / 2;
      ctx.moveTo(ax, ay);
      ctx.bezierCurveTo(mx, ay, mx, by, bx, by);
    }
    ctx.stroke();
    ctx.strokeStyle = '#e16f24';
    ctx.lineWidth = 3;
    ctx.beginPath();
    for (const k of hot) {
      const a = edges[k]!;
      const b = edges[k + 1]!;
      const ax = x[a]! + NODE_W / 2;
      const bx = x[b]! - NODE_W / 2;
      const mx = (ax + bx) / 2;
      ctx.moveTo(ax, y[a]!);
      ctx.bezierCurveTo(mx, y[a]!, mx, y[b]!, bx, y[b]!);
    }
    ctx.stroke();
    const labels = s >= LABELS_FROM;
    ctx.font = '600 13px system-ui, sans-serif';
    const sel = selected ? graph.nodes.findIndex((n) => n.id === selected) : -1;
    for (let i = 0; i < graph.nodes.length; i++) {
      const nx = x[i]! - NODE_W / 2;
      const ny = y[i]! - NODE_H / 2;
      if (nx > wx1 || nx + NODE_W < wx0 || ny > wy1 || ny + NODE_H < wy0) continue;
      const st = statuses[i]!;
      const c = colors[st];
      ctx.fillStyle = c.fill;
      ctx.fillRect(nx, ny, NODE_W, NODE_H);
      ctx.fillStyle = c.stroke;
      ctx.fillRect(nx, ny, 6, NODE_H);
      ctx.lineWidth = i === sel ? 3 : crit.nodes[i] ? 3 : 1.5;
      ctx.strokeStyle = i === sel ? '#0969da' : crit.nodes[i] ? '#e16f24' : c.stroke;
      ctx.strokeRect(nx, ny, NODE_W, NODE_H);
      if (labels) {
        const n = graph.nodes[i]!;
        ctx.fillStyle = dark ? '#e6edf3' : '#1f2328';
        ctx.font = '600 13px system-ui, sans-serif';
        ctx.fillText(clip(n.title, 24), nx + 14, ny + 19, NODE_W - 20);
        ctx.fillStyle = c.text;
        ctx.font = '11px system-ui, sans-serif';
        ctx.fillText(clip(`${STATUS_GLYPH[st]} ${st} · ${n.id}`, 30), nx + 14, ny + 36, NODE_W - 20);
      }
    }
  };

  return <canvas ref={canvas} data-testid="run-graph-canvas" style={{ width: `${size.w}px`, height: `${size.h}px` }} aria-hidden="true" />;
}
