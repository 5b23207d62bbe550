/** One run: its graph with live statuses, summary figures, operator buttons and the task panel. */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, followEvents, type GraphNode, type RunGraph, type RunJson, type TaskStatus } from '../api';
import { duration, STATUS_COLORS, TASK_STATUSES, when } from '../status';
import { Graph } from './Graph';
import { TaskPanel } from './TaskPanel';

interface Props {
  runId: string;
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
};

export function RunView({ runId, canOperate, navigate }: Props) {
  const [graph, setGraph] = useState<RunGraph | null>(null);
  const [run, setRun] = useState<RunJson | null>(null);
  const [statuses, setStatuses] = useState(new Map<string, GraphNode['status']>());
  const [selected, setSelected] = useState<string | null>(null);
  const [versions, setVersions] = useState(new Map<string, number>());
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [connected, setConnected] = useState(false);
  const [busy, setBusy] = useState(false);

  const reload = async () => {
    try {
      const [g, s] = await Promise.all([api<RunGraph>(`/api/v1/runs/${runId}/graph`), api<{ run: RunJson }>(`/api/v1/runs/${runId}`)]);
      setGraph(g);
      setRun(s.run);
      setStatuses(new Map(g.nodes.map((n) => [n.id, n.status])));
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  useEffect(() => {
    setGraph(null);
    setSelected(null);
    void reload();
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
        const taskId = e.taskId;
        if ((lastAt.get(taskId) ?? 0) > e.at) return;
        lastAt.set(taskId, e.at);
        setStatuses((m) => new Map(m).set(taskId, status));
        setVersions((v) => new Map(v).set(taskId, (v.get(taskId) ?? 0) + 1));
        setRun((r) => (r && r.status === 'pending' ? { ...r, status: 'running' } : r));
      },
      setConnected,
    );
    return stop;
  }, [runId]);

  const counts = useMemo(() => {
    const c: Partial<Record<TaskStatus, number>> = {};
    for (const s of statuses.values()) c[s] = (c[s] ?? 0) + 1;
    return c;
  }, [statuses]);

  const act = async (what: 'cancel' | 'retry' | 'resume') => {
    setBusy(true);
    setMessage(null);
    try {
      if (what === 'retry') {
        const created = await api<{ run: RunJson }>(`/api/v1/runs/${runId}/retry`, { method: 'POST' });
        navigate(`#/runs/${created.run.id}`);
        return;
      }
      const res = await api<{ run?: RunJson; cancelled?: string[] }>(`/api/v1/runs/${runId}/${what}`, { method: 'POST' });
      setMessage(what === 'cancel' ? `Cancelling: ${res.cancelled?.length ?? 0} task(s) cancelled at once; running ones stop at their next heartbeat.` : 'Resumed.');
      await reload();
    } catch (e) {
      setMessage(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  if (error) return <p class="error">{error}</p>;
  if (!graph || !run) return <p>Loading…</p>;
  const total = graph.nodes.length;
  const finished = (counts.succeeded ?? 0) + (counts.done ?? 0) + (counts.failed ?? 0) + (counts.blocked ?? 0) + (counts.cancelled ?? 0);
  const processed = (counts.succeeded ?? 0) + (counts.failed ?? 0);
  const live = run.status === 'pending' || run.status === 'running';
  const elapsedMs = run.startedAt ? (run.finishedAt ? Date.parse(run.finishedAt) : Date.now()) - Date.parse(run.startedAt) : 0;
  return (
    <section class="run">
      <div class="run-head">
        <div>
          <h2>{run.title}</h2>
          <p class="muted">
            <code>{run.id}</code> · agent {run.agent} · concurrency {run.concurrency} · created {when(run.createdAt)}
            {run.branch ? <> · branch <code>{run.branch}</code></> : null}
          </p>
        </div>
        <div class="actions">
          <span class={`pill run-${run.status}`} data-testid="run-status">{run.status}</span>
          <span class={connected ? 'live on' : 'live'} title="Live updates">{connected ? '● live' : '○ offline'}</span>
          {canOperate && live ? <button disabled={busy} onClick={() => void act('cancel')}>Cancel run</button> : null}
          {canOperate && !live && (counts.failed || counts.blocked || counts.cancelled) ? (
            <button disabled={busy} onClick={() => void act('retry')} title="A new run of the tasks that did not succeed">Retry failed</button>
          ) : null}
        </div>
      </div>
      {message ? <p class="note">{message}</p> : null}
      <div class="cards">
        <div class="card"><b>{finished}/{total}</b><span>tasks finished</span></div>
        <div class="card"><b>{processed ? `${Math.round(((counts.succeeded ?? 0) / processed) * 100)}%` : '—'}</b><span>success rate</span></div>
        <div class="card"><b>{elapsedMs > 0 && finished ? `${((finished / elapsedMs) * 3_600_000).toFixed(0)}` : '—'}</b><span>tasks per hour</span></div>
        <div class="card"><b>{duration(run.startedAt, run.finishedAt)}</b><span>duration</span></div>
        <div class="card"><b>{graph.criticalPathMinutes} min</b><span>critical path ({graph.criticalPath.length} tasks)</span></div>
      </div>
      <div class="legend">
        {TASK_STATUSES.map((s) => (
          <span key={s} class="legend-item">
            <i style={{ background: STATUS_COLORS[s].fill, borderColor: STATUS_COLORS[s].stroke }} />
            {s} {counts[s] ? `(${counts[s]})` : ''}
          </span>
        ))}
        <span class="legend-item"><i class="crit-swatch" />critical path</span>
      </div>
      <div class={selected ? 'run-body with-panel' : 'run-body'}>
        {total > 1500 ? (
          <p class="note">This run has {total} tasks, too many to draw; use the task list in the API (`GET /api/v1/tasks?run={run.id}`).</p>
        ) : (
          <Graph graph={graph} statuses={statuses} selected={selected} onSelect={setSelected} />
        )}
        {selected ? <TaskPanel runId={run.id} taskId={selected} version={versions.get(selected) ?? 0} onClose={() => setSelected(null)} /> : null}
      </div>
    </section>
  );
}
