/** A Gantt chart of every attempt: one row per task that ran, bars coloured and labelled by outcome, the critical path marked. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type RunGraph } from '../api';
import { formatMs, palette, prefersDark } from '../status';

interface Span {
  number: number;
  status: string;
  startedAt: number;
  finishedAt: number | null;
}
interface TimelineJson {
  tasks: { id: string; attempts: Span[] }[];
}

const ROW = 16;
const LABEL_W = 150;
const HEIGHT = 440;
const ATTEMPT_COLOR: Record<string, 'succeeded' | 'failed' | 'running' | 'cancelled' | 'pending'> = {
  succeeded: 'succeeded',
  failed: 'failed',
  running: 'running',
  cancelled: 'cancelled',
  interrupted: 'pending',
};

export function Timeline({ runId, graph, version }: { runId: string; graph: RunGraph; version: number }) {
  const [data, setData] = useState<TimelineJson | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const canvas = useRef<HTMLCanvasElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const last = useRef(0);

  useEffect(() => {
    // Live runs change a lot: at most one reload every 3 s.
    if (data && Date.now() - last.current < 3000) return;
    last.current = Date.now();
    api<TimelineJson>(`/api/v1/runs/${runId}/timeline`).then(setData, (e: Error) => setError(e.message));
  }, [runId, version]);

  const rows = (data?.tasks ?? []).filter((t) => t.attempts.length).sort((a, b) => a.attempts[0]!.startedAt - b.attempts[0]!.startedAt);
  const critical = new Set(graph.criticalPath);
  useEffect(() => {
    const el = canvas.current;
    const wrap = box.current;
    if (!el || !wrap || !rows.length) return;
    const w = wrap.clientWidth;
    const dpr = Math.min(2, devicePixelRatio || 1);
    el.width = w * dpr;
    el.height = HEIGHT * dpr;
    const ctx = el.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, HEIGHT);
    const t0 = rows[0]!.attempts[0]!.startedAt;
    let t1 = t0 + 1;
    for (const r of rows) for (const a of r.attempts) t1 = Math.max(t1, a.finishedAt ?? Date.now());
    const px = (t: number) => LABEL_W + ((t - t0) / (t1 - t0)) * (w - LABEL_W - 8);
    const colors = palette();
    const dark = prefersDark();
    const first = Math.floor(scrollTop / ROW);
    ctx.font = '11px system-ui, sans-serif';
    for (let k = first; k < Math.min(rows.length, first + Math.ceil(HEIGHT / ROW) + 1); k++) {
      const r = rows[k]!;
      const y = k * ROW - scrollTop + 20;
      const hot = critical.has(r.id);
      ctx.fillStyle = hot ? '#e16f24' : dark ? '#adbac7' : '#424a53';
      ctx.fillText(`${hot ? '◆ ' : ''}${r.id}`.slice(0, 24), 4, y + 11, LABEL_W - 8);
      for (const a of r.attempts) {
        const c = colors[ATTEMPT_COLOR[a.status] ?? 'pending'];
        const x0 = px(a.startedAt);
        const x1 = Math.max(x0 + 2, px(a.finishedAt ?? Date.now()));
        ctx.fillStyle = c.stroke;
        ctx.fillRect(x0, y + 2, x1 - x0, ROW - 4);
        if (hot) {
          ctx.strokeStyle = '#e16f24';
          ctx.lineWidth = 2;
          ctx.strokeRect(x0, y + 2, x1 - x0, ROW - 4);
        }
        if (a.status !== 'succeeded' && x1 - x0 > 10) {
          ctx.fillStyle = dark ? '#fff' : '#000';
          ctx.fillText(a.status === 'failed' ? '✖' : a.status === 'running' ? '▶' : '■', x0 + 2, y + 12);
        }
      }
    }
    ctx.fillStyle = dark ? '#22272e' : '#f6f8fa';
    ctx.fillRect(0, 0, w, 18);
    ctx.fillStyle = dark ? '#adbac7' : '#57606a';
    for (let k = 0; k <= 4; k++) {
      const t = t0 + ((t1 - t0) * k) / 4;
      ctx.fillText(`+${formatMs(t - t0)}`, Math.min(w - 60, px(t)), 12);
    }
  }, [data, scrollTop, version]);

  if (error) return <p class="error">{error}</p>;
  if (!data) return <p>Loading the timeline…</p>;
  if (!rows.length) return <p class="muted">No attempt has started yet.</p>;
  return (
    <figure class="timeline" data-testid="timeline">
      <figcaption class="muted">
        {rows.length} tasks, {rows.reduce((s, r) => s + r.attempts.length, 0)} attempts. Bars: <span class="st st-succeeded">✔ succeeded</span>, <span class="st st-failed">✖ failed</span>, <span class="st st-running">▶ running</span>, <span class="st st-cancelled">■ cancelled or interrupted</span>; ◆ and an orange outline mark the critical path.
      </figcaption>
      <div ref={box} class="timeline-scroll" style={{ height: `${HEIGHT}px` }} onScroll={(e) => setScrollTop((e.target as HTMLDivElement).scrollTop)}>
        <div style={{ height: `${rows.length * ROW + 24}px`, position: 'relative' }}>
          <canvas ref={canvas} style={{ position: 'sticky', top: 0, width: '100%', height: `${HEIGHT}px` }} aria-hidden="true" />
        </div>
      </div>
    </figure>
  );
}
