/** Success rate, throughput and durations across recent runs, and every stored task by status. */
import { useEffect, useState } from 'preact/hooks';
import { api, type Stats, type TaskStatus } from '../api';
import { formatMs, STATUS_COLORS, TASK_STATUSES, when } from '../status';

export function MetricsView() {
  const [stats, setStats] = useState<Stats | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const load = () => api<Stats>('/api/v1/stats?runs=200').then(setStats).catch((e: Error) => setError(e.message));
    void load();
    const timer = setInterval(() => void load(), 5000);
    return () => clearInterval(timer);
  }, []);
  if (error) return <p class="error">{error}</p>;
  if (!stats) return <p>Loading…</p>;
  const max = Math.max(1, ...Object.values(stats.tasksByStatus));
  return (
    <section data-testid="metrics">
      <h2>Metrics</h2>
      <p class="muted">Over the last {stats.runs} runs · last run {when(stats.lastRunAt)} · Prometheus: <a href="/api/v1/metrics">/api/v1/metrics</a></p>
      <div class="cards">
        <div class="card"><b>{stats.successRate === null ? '—' : `${stats.successRate}%`}</b><span>success rate</span></div>
        <div class="card"><b>{stats.throughputPerHour ?? '—'}</b><span>tasks per hour</span></div>
        <div class="card"><b>{formatMs(stats.averageTaskMs)}</b><span>average task</span></div>
        <div class="card"><b>{formatMs(stats.averageRunMs)}</b><span>average run</span></div>
        <div class="card"><b>{stats.tasksProcessed}</b><span>tasks processed</span></div>
        <div class="card"><b>{stats.tasksRetried}</b><span>tasks retried ({stats.attempts} attempts)</span></div>
      </div>
      <h3>Stored tasks by status</h3>
      <div class="hbars">
        {TASK_STATUSES.map((s: TaskStatus) => (
          <div key={s} class="hbar">
            <span>{s}</span>
            <i style={{ width: `${((stats.tasksByStatus[s] ?? 0) / max) * 100}%`, background: STATUS_COLORS[s].stroke }} />
            <b>{stats.tasksByStatus[s] ?? 0}</b>
          </div>
        ))}
      </div>
      <h3>Runs by status</h3>
      <p>{Object.entries(stats.runsByStatus).map(([k, v]) => `${v} ${k}`).join(' · ') || '—'}</p>
    </section>
  );
}
