/** The run's dependency graph as SVG: status colours, the critical path highlighted, pan and zoom. */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { GraphNode, RunGraph } from '../api';
import { layoutGraph, NODE_H, NODE_W } from '../layout';
import { STATUS_COLORS } from '../status';

interface Props {
  graph: RunGraph;
  /** Live statuses, overriding the ones the graph was loaded with. */
  statuses: Map<string, GraphNode['status']>;
  selected: string | null;
  onSelect: (id: string) => void;
}

function path(points: { x: number; y: number }[]): string {
  return points.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function Graph({ graph, statuses, selected, onSelect }: Props) {
  // Layout depends on the shape only, so live status changes never move a node.
  const layout = useMemo(() => layoutGraph(graph), [graph]);
  const critical = useMemo(() => {
    const ids = new Set(graph.criticalPath);
    const edges = new Set<string>();
    for (let i = 1; i < graph.criticalPath.length; i++) edges.add(`${graph.criticalPath[i - 1]}->${graph.criticalPath[i]}`);
    return { ids, edges };
  }, [graph]);
  const [view, setView] = useState({ x: 0, y: 0, scale: 1 });
  const box = useRef<HTMLDivElement>(null);
  const drag = useRef<{ x: number; y: number; vx: number; vy: number } | null>(null);

  useEffect(() => {
    // Fit the whole graph when it is shown and whenever its box changes size (the task panel opens).
    const el = box.current;
    if (!el) return;
    const fit = () => {
      const scale = Math.min(1.2, (el.clientWidth - 8) / Math.max(layout.width, 1), 560 / Math.max(layout.height, 1));
      setView({ x: 0, y: 0, scale: Math.max(scale, 0.15) });
    };
    fit();
    const observer = new ResizeObserver(fit);
    observer.observe(el);
    return () => observer.disconnect();
  }, [layout]);

  const onWheel = (e: WheelEvent) => {
    e.preventDefault();
    const factor = e.deltaY < 0 ? 1.15 : 1 / 1.15;
    setView((v) => ({ ...v, scale: Math.min(3, Math.max(0.1, v.scale * factor)) }));
  };
  const onDown = (e: PointerEvent) => {
    drag.current = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y };
  };
  const onMove = (e: PointerEvent) => {
    const d = drag.current;
    if (d) setView((v) => ({ ...v, x: d.vx + (e.clientX - d.x), y: d.vy + (e.clientY - d.y) }));
  };
  const onUp = () => (drag.current = null);

  const height = Math.min(Math.max(layout.height * view.scale + 24, 200), 620);
  return (
    <div class="graph" ref={box} style={{ height: `${height}px` }} onWheel={onWheel} onPointerDown={onDown} onPointerMove={onMove} onPointerUp={onUp} onPointerLeave={onUp}>
      <svg width="100%" height="100%" data-testid="run-graph" role="img" aria-label="Dependency graph of the run">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" fill="#8c959f" />
          </marker>
          <marker id="arrow-critical" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="12" markerHeight="12" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" fill="#e16f24" />
          </marker>
        </defs>
        <g transform={`translate(${view.x},${view.y}) scale(${view.scale})`}>
          {layout.edges.map((e) => {
            const hot = critical.edges.has(`${e.from}->${e.to}`);
            return (
              <path
                key={`${e.from}->${e.to}`}
                d={path(e.points)}
                class={hot ? 'edge critical' : 'edge'}
                data-critical={hot ? 'true' : 'false'}
                marker-end={hot ? 'url(#arrow-critical)' : 'url(#arrow)'}
              />
            );
          })}
          {graph.nodes.map((n) => {
            const p = layout.nodes.get(n.id);
            if (!p) return null;
            const status = statuses.get(n.id) ?? n.status;
            const c = STATUS_COLORS[status];
            const hot = critical.ids.has(n.id);
            return (
              <g
                key={n.id}
                class={`node status-${status}${hot ? ' critical' : ''}${selected === n.id ? ' selected' : ''}`}
                transform={`translate(${p.x - NODE_W / 2},${p.y - NODE_H / 2})`}
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
                <text x="14" y="19" class="node-title" fill="#1f2328">
                  {clip(n.title, 24)}
                </text>
                <text x="14" y="36" class="node-sub" fill={c.text}>
                  {clip(`${status} · ${n.id}`, 30)}
                </text>
              </g>
            );
          })}
        </g>
      </svg>
    </div>
  );
}
