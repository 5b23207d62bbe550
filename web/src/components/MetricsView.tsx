/** Success rate, throughput and durations across recent runs, every stored task by status, and the Prometheus text (fetched with the session's token). */
import { useEffect, useState } from 'preact/hooks';
import { api, getToken, type Stats, type TaskStatus } from '../api';
import { formatMs, STATUS_COLORS, STATUS_GLYPH, TASK_STATUSES, when } from '../status';

export function MetricsView() {
  const [stats, setStats] = useState<Stats | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [prom, setProm] = useState<string | null>(null);
  useEffect(() => {
    const load = () => api<Stats>('/api/v1/stats?runs=200').then(setStats).catch((e: Error) => setError(e.message));
    void load();
    const timer = setInterval(() => void load(), 5000);
    return () => clearInterval(timer);
  }, []);
  const showProm = async () => {
    // A bare link would be a 401 with auth on: fetch with the bearer token and show the text.
    const token = getToken();
    const res = await fetch('/api/v1/metrics', { headers: token ? { authorization: `Bearer ${token}` } : {} });
    setProm(res.ok ? await res.text() : `HTTP ${res.status}: ${await res.text()}`);
  };
  if (error) return <><h1>Metrics</h1><p class="error">{error}</p></>;
  if (!stats) return <><h1>Metrics</h1><p>Loading…</p></>;
  const max = Math.max(1, ...Object.values(stats.tasksByStatus));
  return (
    <section data-testid="metrics">
      <h1>Metrics</h1>
      <p class="muted">Over the last {stats.runs} runs · last run {when(stats.lastRunAt)}</p>
      <div class="cards">
        <div class="card"><b>{stats.successRate === null ? '—' : `${stats.successRate}%`}</b><span>success rate (of {stats.tasksProcessed} tasks that ran)</span></div>
        <div class="card"><b>{stats.throughputPerHour ?? '—'}</b><span>tasks per hour while running</span></div>
        <div class="card"><b>{formatMs(stats.averageTaskMs)}</b><span>average task</span></div>
        <div class="card"><b>{formatMs(stats.averageRunMs)}</b><span>average run</span></div>
        <div class="card"><b>{stats.tasksProcessed}</b><span>tasks processed</span></div>
        <div class="card"><b>{stats.tasksRetried}</b><span>tasks retried ({stats.attempts} attempts)</span></div>
      </div>
      <div class="cards">
        {(['succeeded', 'failed', 'blocked', 'cancelled', 'running', 'pending'] as const).map((k) => (
          <div key={k} class={`card st-${k}`}><b>{STATUS_GLYPH[k]} {stats[k] ?? 0}</b><span>{k}</span></div>
        ))}
      </div>
      <h2>Stored tasks by status</h2>
      <div class="hbars">
        {TASK_STATUSES.map((s: TaskStatus) => (
          <div key={s} class="hbar">
            <span>{STATUS_GLYPH[s]} {s}</span>
            <i style={{ width: `${((stats.tasksByStatus[s] ?? 0) / max) * 100}%`, background: STATUS_COLORS[s].stroke }} />
            <b>{stats.tasksByStatus[s] ?? 0}</b>
          </div>
        ))}
      </div>
      <h2>Runs by status</h2>
      <p>{Object.entries(stats.runsByStatus).map(([k, v]) => `${v} ${k}`).join(' · ') || '—'}</p>
      <h2>Prometheus</h2>
      <p>
        <button type="button" onClick={() => void showProm()} data-testid="show-prometheus">Show /api/v1/metrics</button>{' '}
        <span class="muted">(fetched with this session's token)</span>
      </p>
      {prom !== null ? <pre class="prom" data-testid="prometheus" tabIndex={0}>{prom}</pre> : null}
    </section>
  );
}
