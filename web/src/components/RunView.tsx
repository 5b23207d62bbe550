/**
 * One run: honest figures and the ETA, operator buttons (cancel asks first), "running now" and
 * "problems" panels, the graph (laid out once, off the main thread), the task table and the timeline,
 * and the task panel. Live events recolour in place; a task has its own URL (#/runs/RUN/tasks/TASK).
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { computeFigures, failureImpact, type FigureTask } from '../../../src/core/run-figures';
import { api, ApiError, followEvents, type RunGraph, type RunJson, type RunListItem, type RunProgress, type TaskStatus } from '../api';
import type { GraphLayout } from '../graph-layout';
import { layoutFor } from '../layout-client';
import { duration, formatMs, STATUS_GLYPH, when } from '../status';
import { Graph } from './Graph';
import { TaskPanel } from './TaskPanel';
import { TaskTable } from './TaskTable';
import { Timeline } from './Timeline';

interface Props {
  runId: string;
  taskId: string | null;
  canOperate: boolean;
  navigate: (hash: string) => void;
}

/** The status a lifecycle event leaves a task in. */
const EVENT_STATUS: Record<string, TaskStatus> = {
  'task.started': 'running',
  'task.succeeded': 'succeeded',
  'task.failed': 'failed',
  'task.blocked': 'blocked',
  'task.cancelled': 'cancelled',
  'task.reclaimed': 'ready',
  'retry.scheduled': 'ready',
  'attempt.failed': 'ready',
};

/** Categories a retry cannot fix: a person has to act. */
const NEEDS_HUMAN = new Set(['auth', 'quota', 'validation', 'permission', 'violation', 'budget', 'changes_requested']);

type Tab = 'graph' | 'table' | 'timeline';

export function RunView({ runId, taskId, canOperate, navigate }: Props) {
  const [graph, setGraph] = useState<RunGraph | null>(null);
  const [layout, setLayout] = useState<GraphLayout | null>(null);
  const [run, setRun] = useState<RunJson | null>(null);
  const [progress, setProgress] = useState<{ p: RunProgress; at: number } | null>(null);
  const [version, setVersion] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [connected, setConnected] = useState(false);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [tab, setTab] = useState<Tab>(() => (localStorage.getItem('weft.tab') as Tab | null) ?? 'graph');
  const [focus, setFocus] = useState<{ id: string; n: number } | null>(null);
  const [retries, setRetries] = useState<RunListItem[]>([]);
  const [, setTick] = useState(0);
  const statuses = useRef<TaskStatus[]>([]);
  const index = useRef(new Map<string, number>());
  const taskVersions = useRef(new Map<string, number>());
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  const graphRef = useRef<RunGraph | null>(null);

  const bump = () => {
    pending.current ??= setTimeout(() => {
      pending.current = null;
      setVersion((v) => v + 1);
    }, 150);
  };

  const loadGraph = async () => {
    const g = await api<RunGraph>(`/api/v1/runs/${runId}/graph`);
    const old = graphRef.current;
    if (old && old.nodes.length === g.nodes.length && old.nodes.every((n, i) => n.id === g.nodes[i]!.id)) {
      // Same shape: take the new statuses and times, keep the layout.
      g.nodes.forEach((n, i) => Object.assign(old.nodes[i]!, n));
      statuses.current = g.nodes.map((n) => n.status);
      bump();
      return;
    }
    graphRef.current = g;
    index.current = new Map(g.nodes.map((n, i) => [n.id, i]));
    statuses.current = g.nodes.map((n) => n.status);
    setGraph(g);
    setVersion((v) => v + 1);
    setLayout(await layoutFor(g));
  };
  const loadProgress = async () => {
    const p = await api<RunProgress>(`/api/v1/runs/${runId}/progress`);
    setRun(p.run);
    setProgress({ p, at: Date.now() });
    return p;
  };
  const reload = async () => {
    try {
      await Promise.all([loadGraph(), loadProgress()]);
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  useEffect(() => {
    graphRef.current = null;
    setMessage(null);
    setConfirming(false);
    setGraph(null);
    setLayout(null);
    setProgress(null);
    void reload();
    void api<{ runs: RunListItem[] }>('/api/v1/runs?limit=500').then((r) => setRetries(r.runs.filter((x) => x.retryOf === runId))).catch(() => undefined);
    // Events of different processes may arrive a little out of order; `at` decides per task.
    const lastAt = new Map<string, number>();
    const stop = followEvents(
      `?run=${encodeURIComponent(runId)}`,
      (e) => {
        if (e.type === 'run.started' || e.type === 'run.finished') {
          void reload();
          return;
        }
        const status = EVENT_STATUS[e.type];
        if (!status || !e.taskId) return;
        const i = index.current.get(e.taskId);
        const g = graphRef.current;
        if (i === undefined || !g) return;
        if ((lastAt.get(e.taskId) ?? 0) > e.at) return;
        lastAt.set(e.taskId, e.at);
        statuses.current[i] = status;
        const node = g.nodes[i]!;
        node.status = status;
        const at = new Date(e.at).toISOString();
        if (status === 'running') {
          node.startedAt ??= at;
          node.attempts = Math.max(node.attempts, Number(e.data.attempt ?? node.attempts + 1));
        }
        if (status === 'succeeded' || status === 'failed' || status === 'blocked' || status === 'cancelled') node.finishedAt = at;
        if (e.type === 'task.failed' || e.type === 'attempt.failed') {
          node.errorCategory = typeof e.data.category === 'string' ? e.data.category : node.errorCategory;
          node.error = typeof e.data.message === 'string' ? e.data.message.split('\n')[0]!.slice(0, 300) : node.error;
        }
        taskVersions.current.set(e.taskId, (taskVersions.current.get(e.taskId) ?? 0) + 1);
        setRun((r) => (r && r.status === 'pending' ? { ...r, status: 'running' } : r));
        bump();
      },
      setConnected,
    );
    return () => {
      stop();
      if (pending.current) clearTimeout(pending.current);
      pending.current = null;
    };
  }, [runId]);

  const live = run ? run.status === 'pending' || run.status === 'running' : false;
  // While the run is live: the server's ETA every few seconds, a clock every second.
  useEffect(() => {
    if (!live) return;
    const slow = setInterval(() => void loadProgress().catch(() => undefined), 3000);
    const fast = setInterval(() => setTick((t) => t + 1), 1000);
    return () => (clearInterval(slow), clearInterval(fast));
  }, [live, runId]);

  useEffect(() => localStorage.setItem('weft.tab', tab), [tab]);
  useEffect(() => {
    if (taskId) setFocus((f) => (f?.id === taskId ? f : { id: taskId, n: (f?.n ?? 0) + 1 }));
  }, [taskId]);

  const deps = useMemo(() => {
    if (!graph) return [] as string[][];
    const d: string[][] = graph.nodes.map(() => []);
    for (const e of graph.edges) {
      const i = index.current.get(e.to);
      if (i !== undefined) d[i]!.push(e.from);
    }
    return d;
  }, [graph]);

  const figures = useMemo(() => {
    if (!graph) return null;
    const tasks: FigureTask[] = graph.nodes.map((n, i) => ({
      id: n.id,
      status: statuses.current[i] ?? n.status,
      dependsOn: deps[i] ?? [],
      startedAt: n.startedAt ? Date.parse(n.startedAt) : null,
      finishedAt: n.finishedAt ? Date.parse(n.finishedAt) : null,
    }));
    return { ...computeFigures(tasks), blockedBy: failureImpact(tasks).blockedBy };
  }, [graph, version]);
  const blocks = useMemo(() => new Map((figures?.failures ?? []).map((f) => [f.id, f.blocks])), [figures]);

  const act = async (what: 'cancel' | 'retry') => {
    setBusy(true);
    setMessage(null);
    try {
      if (what === 'retry') {
        const created = await api<{ run: RunJson }>(`/api/v1/runs/${runId}/retry`, { method: 'POST' });
        navigate(`#/runs/${created.run.id}`);
        return;
      }
      const res = await api<{ run?: RunJson; cancelled?: string[] }>(`/api/v1/runs/${runId}/cancel`, { method: 'POST' });
      setMessage(`Cancelling: ${res.cancelled?.length ?? 0} task(s) cancelled at once; running ones stop at their next heartbeat.`);
      await reload();
    } catch (e) {
      setMessage(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  if (error) return <p class="error" role="alert">{error}</p>;
  if (!graph || !run || !figures) return <p>Loading…</p>;
  const c = figures.counts;
  const eta = progress?.p.eta;
  const etaLeft = eta && eta.basis !== 'done' ? Math.max(0, eta.remainingMs - (Date.now() - progress.at)) : null;
  const open = (id: string) => navigate(`#/runs/${runId}/tasks/${encodeURIComponent(id)}`);
  const runningNow = graph.nodes.map((n, i) => ({ n, i })).filter(({ i }) => statuses.current[i] === 'running');
  const failed = figures.failures.filter((f) => f.status === 'failed');
  const human = graph.nodes.filter((n, i) => statuses.current[i] === 'failed' && n.errorCategory && NEEDS_HUMAN.has(n.errorCategory));
  const selectedIndex = taskId ? index.current.get(taskId) : undefined;

  return (
    <section class="run">
      <div class="run-head">
        <div>
          <h1>{run.title}</h1>
          <p class="muted">
            <code>{run.id}</code> · agent {run.agent} · concurrency {run.concurrency} · created {when(run.createdAt)}
            {run.branch ? <> · branch <code>{run.branch}</code></> : null}
            {run.retryOf ? <> · retry of <a href={`#/runs/${run.retryOf}`}>{run.retryOf}</a></> : null}
            {retries.length ? <> · retried as {retries.map((r, k) => <span key={r.id}>{k ? ', ' : ''}<a href={`#/runs/${r.id}`}>{r.id}</a></span>)}</> : null}
          </p>
        </div>
        <div class="actions">
          <span class={`pill run-${run.status}`} data-testid="run-status">{run.status}</span>
          <span class={connected ? 'live on' : 'live'} title="Live updates">{connected ? '● live' : '○ offline'}</span>
          {canOperate && live ? <button disabled={busy} onClick={() => setConfirming(true)}>Cancel run…</button> : null}
          {canOperate && !live && (c.failed || c.blocked || c.cancelled) ? (
            <button disabled={busy} onClick={() => void act('retry')} title="A new run of the tasks that did not succeed">Retry failed</button>
          ) : null}
        </div>
      </div>
      {confirming ? (
        <ConfirmDialog
          title="Cancel this run?"
          text={`${c.pending} pending tasks are cancelled at once; ${c.running} running ones stop at their next heartbeat. Succeeded work stays.`}
          confirm="Cancel the run"
          onClose={(yes) => {
            setConfirming(false);
            if (yes) void act('cancel');
          }}
        />
      ) : null}
      {message ? <p class="note" role="status">{message}</p> : null}
      <div class="cards" data-testid="figures">
        <Card label="succeeded" value={c.succeeded} cls="st-succeeded" glyph={STATUS_GLYPH.succeeded} />
        <Card label="failed" value={c.failed} cls="st-failed" glyph={STATUS_GLYPH.failed} />
        <Card label="blocked" value={c.blocked} cls="st-blocked" glyph={STATUS_GLYPH.blocked} />
        <Card label="cancelled" value={c.cancelled} cls="st-cancelled" glyph={STATUS_GLYPH.cancelled} />
        <Card label="running" value={c.running} cls="st-running" glyph={STATUS_GLYPH.running} />
        <Card label="pending" value={c.pending} cls="st-pending" glyph={STATUS_GLYPH.pending} />
        {c.done ? <Card label="done before" value={c.done} cls="st-done" glyph={STATUS_GLYPH.done} /> : null}
      </div>
      <div class="cards">
        <div class="card"><b data-testid="success-rate">{figures.successRate === null ? '—' : `${figures.successRate}%`}</b><span>success of {figures.ran} that ran</span></div>
        <div class="card"><b>{figures.throughputPerHour ?? '—'}</b><span>tasks/h while running</span></div>
        <div class="card"><b>{duration(run.startedAt, run.finishedAt)}</b><span>duration</span></div>
        <div class="card"><b data-testid="eta">{etaLeft === null ? (live ? '…' : '—') : formatMs(etaLeft)}</b><span>{eta && eta.basis === 'estimates' ? 'ETA (from estimates)' : 'ETA'}</span></div>
        <div class="card"><b>{graph.criticalPathMinutes} min</b><span>critical path ({graph.criticalPath.length} tasks)</span></div>
      </div>
      <div class="side-panels">
        <section class="mini" aria-labelledby="running-now">
          <h2 id="running-now">Running now ({runningNow.length})</h2>
          {runningNow.length === 0 ? <p class="muted">Nothing is running.</p> : (
            <ul>
              {runningNow.slice(0, 12).map(({ n }) => (
                <li key={n.id}><a href={`#/runs/${runId}/tasks/${encodeURIComponent(n.id)}`}><code>{n.id}</code></a> {n.title} <span class="muted">attempt {n.attempts} · {duration(n.startedAt, null)}</span></li>
              ))}
              {runningNow.length > 12 ? <li class="muted">… and {runningNow.length - 12} more</li> : null}
            </ul>
          )}
        </section>
        <section class="mini" aria-labelledby="problems" data-testid="problems">
          <h2 id="problems">Problems ({failed.length})</h2>
          {failed.length === 0 ? <p class="muted">No failures.</p> : (
            <ul>
              {failed.slice(0, 12).map((f) => {
                const n = graph.nodes[index.current.get(f.id)!]!;
                return (
                  <li key={f.id}>
                    <span class={`st st-${f.status}`}>{STATUS_GLYPH[f.status]} {f.status}</span> <a href={`#/runs/${runId}/tasks/${encodeURIComponent(f.id)}`}><code>{f.id}</code></a>{' '}
                    {f.blocks ? <strong>blocks {f.blocks} task{f.blocks === 1 ? '' : 's'}</strong> : null}
                    {n.errorCategory && NEEDS_HUMAN.has(n.errorCategory) ? <span class="human"> · needs a human ({n.errorCategory})</span> : null}
                    {n.error ? <div class="muted clip">{n.error}</div> : null}
                  </li>
                );
              })}
              {failed.length > 12 ? <li class="muted">… and {failed.length - 12} more (filter the table by status)</li> : null}
            </ul>
          )}
          {c.cancelled ? <p class="muted">{c.cancelled} cancelled (filter the table by status).</p> : null}
          {human.length ? <p class="muted">{human.length} failure{human.length === 1 ? '' : 's'} need a human: a retry will not fix {human.length === 1 ? 'it' : 'them'}.</p> : null}
          {selectedIndex !== undefined && figures.blockedBy.get(taskId!) ? <p>Selected task is blocked by {figures.blockedBy.get(taskId!)!.map((id) => <a key={id} href={`#/runs/${runId}/tasks/${encodeURIComponent(id)}`}><code>{id}</code> </a>)}</p> : null}
        </section>
      </div>
      <div class="tabs" role="tablist" aria-label="Views of the run">
        {(['graph', 'table', 'timeline'] as const).map((t) => (
          <button key={t} type="button" role="tab" aria-selected={tab === t} class={tab === t ? 'on' : ''} onClick={() => setTab(t)}>
            {t === 'graph' ? 'Graph' : t === 'table' ? `Tasks (${graph.nodes.length})` : 'Timeline'}
          </button>
        ))}
      </div>
      <div class={taskId ? 'run-body with-panel' : 'run-body'}>
        <div class="run-main">
          {tab === 'graph' ? (
            layout ? (
              <Graph graph={graph} layout={layout} statuses={statuses.current} version={version} selected={taskId} onSelect={open} focus={focus} />
            ) : (
              <p class="muted" data-testid="layout-pending">Laying out {graph.nodes.length} tasks…</p>
            )
          ) : tab === 'table' ? (
            <TaskTable runId={runId} nodes={graph.nodes} statuses={statuses.current} version={version} blocks={blocks} selected={taskId} />
          ) : (
            <Timeline runId={runId} graph={graph} version={version} />
          )}
        </div>
        {taskId ? <TaskPanel runId={run.id} taskId={taskId} version={taskVersions.current.get(taskId) ?? 0} onClose={() => navigate(`#/runs/${runId}`)} /> : null}
      </div>
    </section>
  );
}

function Card({ label, value, cls, glyph }: { label: string; value: number; cls: string; glyph: string }) {
  return (
    <div class={`card ${cls}`} data-figure={label}>
      <b>{glyph} {value}</b>
      <span>{label}</span>
    </div>
  );
}

/** A modal question with a focused, safe default. */
function ConfirmDialog({ title, text, confirm, onClose }: { title: string; text: string; confirm: string; onClose: (yes: boolean) => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog ref={ref} class="confirm" aria-labelledby="confirm-title" onCancel={() => onClose(false)}>
      <h2 id="confirm-title">{title}</h2>
      <p>{text}</p>
      <div class="actions">
        <button type="button" autofocus onClick={() => onClose(false)}>Keep running</button>
        <button type="button" class="danger" onClick={() => onClose(true)}>{confirm}</button>
      </div>
    </dialog>
  );
}
