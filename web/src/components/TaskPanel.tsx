/** Task detail: what it is, its attempts, errors, PR link, the prompt it gets and the tail of its log. */
import { useEffect, useState } from 'preact/hooks';
import { api, type TaskDetail } from '../api';
import { duration, STATUS_COLORS, when } from '../status';

interface Props {
  runId: string;
  taskId: string;
  /** Changes whenever a live event concerns this task, so the detail is reloaded. */
  version: number;
  onClose: () => void;
}

export function TaskPanel({ runId, taskId, version, onClose }: Props) {
  const [detail, setDetail] = useState<TaskDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api<TaskDetail>(`/api/v1/runs/${runId}/tasks/${encodeURIComponent(taskId)}?include=prompt`)
      .then((d) => live && (setDetail(d), setError(null)))
      .catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [runId, taskId, version]);

  if (error) return <aside class="panel"><p class="error">{error}</p></aside>;
  if (!detail) return <aside class="panel">Loading…</aside>;
  const t = detail.task;
  const c = STATUS_COLORS[t.status];
  return (
    <aside class="panel" data-testid="task-panel">
      <header>
        <h3>{t.title}</h3>
        <button class="plain" onClick={onClose} aria-label="Close">×</button>
      </header>
      <p>
        <span class="pill" style={{ background: c.fill, color: c.text, borderColor: c.stroke }}>{t.status}</span>{' '}
        <code>{t.taskId}</code> · {t.type} · {t.priority} · {t.estimateMinutes} min{detail.critical ? ' · ' : ''}
        {detail.critical ? <strong class="crit">critical path</strong> : null}
      </p>
      <dl>
        <dt>Agent</dt>
        <dd>{t.agent ?? 'run default'}</dd>
        <dt>Depends on</dt>
        <dd>{t.dependsOn.length ? t.dependsOn.join(', ') : '—'}</dd>
        <dt>Started</dt>
        <dd>{when(t.startedAt)}</dd>
        <dt>Duration</dt>
        <dd>{duration(t.startedAt, t.finishedAt)}</dd>
        {t.branch ? (<><dt>Branch</dt><dd><code>{t.branch}</code></dd></>) : null}
        {t.prUrl ? (<><dt>Pull request</dt><dd><a href={t.prUrl} target="_blank" rel="noreferrer noopener">{t.prUrl}</a></dd></>) : null}
      </dl>
      {t.error ? <p class="error">{t.error}</p> : null}
      {t.summary ? <p class="summary">{t.summary}</p> : null}
      <h4>Attempts</h4>
      {detail.attempts.length === 0 ? (
        <p class="muted">None yet.</p>
      ) : (
        <table class="attempts">
          <thead><tr><th>#</th><th>Status</th><th>Duration</th><th>Error</th></tr></thead>
          <tbody>
            {detail.attempts.map((a) => (
              <tr key={a.number}>
                <td>{a.number}</td>
                <td>{a.status}</td>
                <td>{duration(a.startedAt, a.finishedAt)}</td>
                <td>{a.error ? `${a.errorCategory ?? ''}: ${a.error}` : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <details>
        <summary>Prompt</summary>
        <pre>{detail.prompt ?? '(could not be built)'}</pre>
      </details>
      <details open={Boolean(detail.logTail)}>
        <summary>Log tail</summary>
        <pre>{detail.logTail || detail.attempts.at(-1)?.outputTail || '(no output yet)'}</pre>
      </details>
      <p>{t.description ? <span class="muted">{t.description.slice(0, 600)}</span> : null}</p>
    </aside>
  );
}
