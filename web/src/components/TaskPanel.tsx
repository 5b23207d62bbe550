/**
 * Task detail: what it is, what it depends on, and per attempt what it did — its log, the prompt it
 * was sent, the verify output, files changed with the diff, tokens and cost, the PR.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type AttemptDetail, type TaskDetail, type Usage } from '../api';
import { duration, formatMs, palette, STATUS_GLYPH, when } from '../status';

interface Props {
  runId: string;
  taskId: string;
  /** Changes whenever a live event concerns this task, so the detail is reloaded. */
  version: number;
  onClose: () => void;
}

type Part = 'log' | 'prompt' | 'verify' | 'diff' | 'usage';

function usageText(u: Usage | null): string {
  if (!u) return '';
  const parts: string[] = [];
  if (u.inputTokens !== undefined || u.outputTokens !== undefined) parts.push(`${u.inputTokens ?? 0} in / ${u.outputTokens ?? 0} out tokens`);
  if (u.cachedInputTokens) parts.push(`${u.cachedInputTokens} cached`);
  if (u.costUsd !== undefined) parts.push(`$${u.costUsd.toFixed(4)}`);
  if (u.turns !== undefined) parts.push(`${u.turns} turns`);
  if (u.model) parts.push(u.model);
  return parts.join(' · ');
}

function Diff({ text }: { text: string }) {
  return (
    <pre class="diff" data-testid="attempt-diff" tabIndex={0}>
      {text.split('\n').map((l, i) => (
        <div key={i} class={l.startsWith('+') && !l.startsWith('+++') ? 'add' : l.startsWith('-') && !l.startsWith('---') ? 'del' : l.startsWith('@@') ? 'hunk' : ''}>{l || ' '}</div>
      ))}
    </pre>
  );
}

export function TaskPanel({ runId, taskId, version, onClose }: Props) {
  const [detail, setDetail] = useState<TaskDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [attemptNo, setAttemptNo] = useState<number | null>(null);
  const [attempt, setAttempt] = useState<AttemptDetail | null>(null);
  const [part, setPart] = useState<Part>('log');
  const [builtPrompt, setBuiltPrompt] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const base = `/api/v1/runs/${runId}/tasks/${encodeURIComponent(taskId)}`;

  useEffect(() => {
    setAttemptNo(null);
    setBuiltPrompt(null);
    heading.current?.focus();
  }, [taskId]);
  useEffect(() => {
    let live = true;
    api<TaskDetail>(base)
      .then((d) => {
        if (!live) return;
        setDetail(d);
        setError(null);
        setAttemptNo((n) => n ?? d.attempts.at(-1)?.number ?? null);
      })
      .catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [runId, taskId, version]);
  useEffect(() => {
    if (attemptNo === null) return setAttempt(null);
    let live = true;
    api<AttemptDetail>(`${base}/attempts/${attemptNo}`).then((a) => live && setAttempt(a), () => live && setAttempt(null));
    return () => {
      live = false;
    };
  }, [runId, taskId, attemptNo, version]);

  if (error) return <aside class="panel" aria-label="Task"><p class="error">{error}</p><button onClick={onClose}>Close</button></aside>;
  if (!detail) return <aside class="panel" aria-label="Task">Loading…</aside>;
  const t = detail.task;
  const c = palette()[t.status];
  const parts: { key: Part; label: string }[] = [
    { key: 'log', label: 'Log' },
    { key: 'prompt', label: 'Prompt' },
    { key: 'verify', label: 'Verify output' },
    { key: 'diff', label: `Files & diff${attempt?.filesChanged.length ? ` (${attempt.filesChanged.length})` : ''}` },
    { key: 'usage', label: 'Cost & tokens' },
  ];
  return (
    <aside class="panel" data-testid="task-panel" aria-labelledby="task-title">
      <header>
        <h2 id="task-title" ref={heading} tabIndex={-1}>{t.title}</h2>
        <button class="plain" onClick={onClose} aria-label="Close the task">×</button>
      </header>
      <p>
        <span class="pill" style={{ background: c.fill, color: c.text, borderColor: c.stroke }}>{STATUS_GLYPH[t.status]} {t.status}</span>{' '}
        <code>{t.taskId}</code> · {t.type} · {t.priority} · {t.estimateMinutes} min{detail.critical ? ' · ' : ''}
        {detail.critical ? <strong class="crit">◆ critical path</strong> : null}
      </p>
      <dl>
        <dt>Agent</dt>
        <dd>{t.agent ?? 'run default'}</dd>
        <dt>Depends on</dt>
        <dd>{t.dependsOn.length ? t.dependsOn.map((d, i) => <span key={d}>{i ? ', ' : ''}<a href={`#/runs/${runId}/tasks/${encodeURIComponent(d)}`}>{d}</a></span>) : '—'}</dd>
        <dt>Started</dt>
        <dd>{when(t.startedAt)}</dd>
        <dt>Duration</dt>
        <dd>{duration(t.startedAt, t.finishedAt)}</dd>
        {t.branch ? (<><dt>Branch</dt><dd><code>{t.branch}</code></dd></>) : null}
        {t.prUrl ? (<><dt>Pull request</dt><dd><a href={t.prUrl} target="_blank" rel="noreferrer noopener">{t.prUrl}</a></dd></>) : null}
        {detail.usage && detail.usage.attempts ? (<><dt>Cost</dt><dd>${detail.usage.costUsd.toFixed(4)} · {detail.usage.inputTokens + detail.usage.outputTokens} tokens</dd></>) : null}
      </dl>
      {t.error ? <p class="error">{t.error}</p> : null}
      {t.summary ? <p class="summary">{t.summary}</p> : null}
      <h3>Attempts</h3>
      {detail.attempts.length === 0 ? (
        <p class="muted">None yet.</p>
      ) : (
        <table class="attempts">
          <thead><tr><th>#</th><th>Status</th><th>Duration</th><th>Error</th></tr></thead>
          <tbody>
            {detail.attempts.map((a) => (
              <tr key={a.number} class={a.number === attemptNo ? 'selected' : ''}>
                <td><button type="button" class="plain" aria-pressed={a.number === attemptNo} onClick={() => setAttemptNo(a.number)} aria-label={`Show attempt ${a.number}`}>{a.number}</button></td>
                <td>{a.status}</td>
                <td>{duration(a.startedAt, a.finishedAt)}</td>
                <td>{a.error ? `${a.errorCategory ?? ''}: ${a.error}` : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {attemptNo !== null ? (
        <section aria-label={`Attempt ${attemptNo}`} data-testid="attempt">
          <h3>Attempt {attemptNo}{attempt ? ` · ${attempt.status} · ${formatMs(attempt.finishedAt ? Date.parse(attempt.finishedAt) - Date.parse(attempt.startedAt) : Date.now() - Date.parse(attempt.startedAt))}` : ''}</h3>
          <div class="attempt-tabs" role="tablist" aria-label="What the attempt did">
            {parts.map((p) => (
              <button key={p.key} type="button" role="tab" aria-selected={part === p.key} class={part === p.key ? 'on' : ''} onClick={() => setPart(p.key)}>{p.label}</button>
            ))}
          </div>
          {!attempt ? <p class="muted">Loading…</p> : part === 'log' ? (
            <pre data-testid="attempt-log" tabIndex={0}>{attempt.output || detail.logTail || '(no output)'}</pre>
          ) : part === 'prompt' ? (
            attempt.prompt !== null ? (
              <pre data-testid="attempt-prompt" tabIndex={0}>{attempt.prompt}</pre>
            ) : (
              <div data-testid="attempt-prompt">
                <p class="muted">No prompt was kept for this attempt (the simulate agent is sent none).</p>
                {builtPrompt === null ? (
                  <button type="button" onClick={() => void api<TaskDetail>(`${base}?include=prompt`).then((d) => setBuiltPrompt(d.prompt ?? '(could not be built)'))}>Show the prompt as built now</button>
                ) : (
                  <pre tabIndex={0}>{builtPrompt}</pre>
                )}
              </div>
            )
          ) : part === 'verify' ? (
            <pre data-testid="attempt-verify" tabIndex={0}>{attempt.verifyOutput ?? '(no verify command ran for this attempt)'}</pre>
          ) : part === 'diff' ? (
            <div data-testid="attempt-files">
              {attempt.filesChanged.length ? <ul>{attempt.filesChanged.map((f) => <li key={f}><code>{f}</code></li>)}</ul> : <p class="muted">No files changed.</p>}
              {attempt.diff ? <Diff text={attempt.diff.text} /> : <p class="muted">No diff (the attempt made no commits, or the run has no repository).</p>}
              {attempt.diff?.truncated ? <p class="muted">The diff is cut at 256 KB.</p> : null}
            </div>
          ) : (
            <p data-testid="attempt-usage">{usageText(attempt.usage) || 'The agent reported no usage.'}</p>
          )}
          {attempt?.prUrl ? <p>Pull request: <a href={attempt.prUrl} target="_blank" rel="noreferrer noopener">{attempt.prUrl}</a></p> : null}
        </section>
      ) : null}
      <h3>Description</h3>
      <p class="muted">{t.description ? t.description.slice(0, 1200) : '—'}</p>
    </aside>
  );
}
