/** Runs, newest first, with a progress bar of task statuses; refreshed as runs start and finish. */
import { useEffect, useState } from 'preact/hooks';
import { api, followEvents, type RunListItem } from '../api';
import { duration, STATUS_COLORS, TASK_STATUSES, when } from '../status';

export function RunList() {
  const [runs, setRuns] = useState<RunListItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = () =>
      api<{ runs: RunListItem[] }>('/api/v1/runs?limit=100')
        .then((r) => (setRuns(r.runs), setError(null)))
        .catch((e: Error) => setError(e.message));
    void load();
    // Many task events arrive in bursts: reload at most twice a second.
    const stop = followEvents('', () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        void load();
      }, 500);
    });
    return () => {
      stop();
      if (timer) clearTimeout(timer);
    };
  }, []);
  if (error) return <><h1>Runs</h1><p class="error">{error}</p></>;
  if (!runs) return <><h1>Runs</h1><p>Loading…</p></>;
  if (runs.length === 0) {
    return (
      <>
      <h1>Runs</h1>
      <p class="muted">
        No runs yet. Start one with <code>weft run REQUIREMENTS.md --agent simulate</code> or <code>POST /api/v1/runs</code>.
      </p>
      </>
    );
  }
  return (
    <>
    <h1>Runs</h1>
    <div class="table-wide">
    <table class="runs" data-testid="runs-table">
      <thead>
        <tr><th>Run</th><th>Status</th><th>Tasks</th><th>Agent</th><th>Created</th><th>Duration</th></tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.id} data-run-id={r.id}>
            <td>
              <a href={`#/runs/${r.id}`}>{r.title}</a>
              <div class="muted"><code>{r.id}</code>{r.active ? ' · executing here' : ''}{r.retryOf ? <> · retry of <a href={`#/runs/${r.retryOf}`}>{r.retryOf}</a></> : null}</div>
            </td>
            <td><span class={`pill run-${r.status}`}>{r.status}</span></td>
            <td>
              <div class="bar" title={TASK_STATUSES.filter((s) => r.tasks.byStatus[s]).map((s) => `${r.tasks.byStatus[s]} ${s}`).join(', ')}>
                {TASK_STATUSES.map((s) =>
                  r.tasks.byStatus[s] ? <i key={s} style={{ flex: r.tasks.byStatus[s], background: STATUS_COLORS[s].stroke }} /> : null,
                )}
              </div>
              <span class="muted">{r.tasks.total} tasks{TASK_STATUSES.filter((s) => r.tasks.byStatus[s] && s !== 'succeeded').map((s) => ` · ${r.tasks.byStatus[s]} ${s}`).join('')}</span>
            </td>
            <td>{r.agent}</td>
            <td>{when(r.createdAt)}</td>
            <td>{duration(r.startedAt, r.finishedAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
    </div>
    </>
  );
}
