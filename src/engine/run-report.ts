/** Run reports (markdown and JSON) and cross-run statistics (seed 003's metrics). */
import { formatMinutes } from '../plan/estimate.js';
import type { RunRecord, TaskRecord } from '../store/records.js';
import type { RunStatusJson } from './run-status.js';

function ms(a: string | null, b: string | null): number | null {
  return a && b ? Date.parse(b) - Date.parse(a) : null;
}

/** Human duration for milliseconds. */
export function formatDuration(milliseconds: number | null): string {
  if (milliseconds === null) return '—';
  if (milliseconds < 1000) return `${milliseconds}ms`;
  if (milliseconds < 60_000) return `${(milliseconds / 1000).toFixed(1)}s`;
  return formatMinutes(milliseconds / 60_000);
}

/** Totals over a run's tasks. */
export function runTotals(status: RunStatusJson) {
  const byStatus: Record<string, number> = {};
  let attempts = 0;
  let retried = 0;
  for (const t of status.tasks) {
    byStatus[t.status] = (byStatus[t.status] ?? 0) + 1;
    attempts += t.attempts.length;
    if (t.attempts.length > 1) retried++;
  }
  return { tasks: status.tasks.length, byStatus, attempts, retried, durationMs: ms(status.run.startedAt, status.run.finishedAt) };
}

/** The JSON report: the status plus totals. */
export function reportJson(status: RunStatusJson) {
  return { ...status, totals: runTotals(status) };
}

/** The markdown report: every task, its attempts, durations, errors and PR links, and the run's totals. */
export function reportMarkdown(status: RunStatusJson): string {
  const { run } = status;
  const totals = runTotals(status);
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const out: string[] = [];
  out.push(`# weft run ${run.id}: ${run.title}`, '');
  out.push(`- Status: **${run.status}**`);
  out.push(`- Agent: ${run.agent} · concurrency ${run.concurrency}`);
  out.push(`- Started: ${run.startedAt ?? '—'} · finished: ${run.finishedAt ?? '—'} · duration: ${formatDuration(totals.durationMs)}`);
  if (run.branch) out.push(`- Integration branch: \`${run.branch}\`${run.baseBranch ? ` (from \`${run.baseBranch}\`)` : ''}`);
  out.push(`- Tasks: ${totals.tasks} (${Object.entries(totals.byStatus).map(([k, v]) => `${v} ${k}`).join(', ')}) · attempts: ${totals.attempts} · retried: ${totals.retried}`);
  out.push('', '| Task | Title | Status | Attempts | Duration | PR | Error |', '| --- | --- | --- | --- | --- | --- | --- |');
  for (const t of status.tasks) {
    out.push(`| ${esc(t.id)} | ${esc(t.title)} | ${t.status} | ${t.attempts.length} | ${formatDuration(ms(t.startedAt, t.finishedAt))} | ${t.prUrl ? `[link](${t.prUrl})` : ''} | ${esc(t.error ?? '')} |`);
  }
  const withFailures = status.tasks.filter((t) => t.attempts.some((a) => a.status !== 'succeeded'));
  if (withFailures.length) {
    out.push('', '## Attempts that did not succeed', '');
    for (const t of withFailures) {
      for (const a of t.attempts.filter((x) => x.status !== 'succeeded')) {
        out.push(`- **${t.id}** attempt ${a.number}: ${a.status}${a.errorCategory ? ` (${a.errorCategory})` : ''}${a.error ? ` — ${a.error.split('\n')[0]}` : ''}`);
      }
    }
  }
  return out.join('\n') + '\n';
}

/** Statistics across runs: tasks processed, success rate, average time, attempts, retries. */
export function computeStats(runs: RunRecord[], tasksByRun: Map<string, TaskRecord[]>) {
  let processed = 0;
  let succeeded = 0;
  let failed = 0;
  let totalMs = 0;
  let timed = 0;
  let attempts = 0;
  let retried = 0;
  for (const run of runs) {
    for (const t of tasksByRun.get(run.id) ?? []) {
      if (t.status === 'done' || t.attemptCount === 0) continue;
      processed++;
      attempts += t.attemptCount;
      if (t.attemptCount > 1) retried++;
      if (t.status === 'succeeded') succeeded++;
      if (t.status === 'failed') failed++;
      if (t.startedAt && t.finishedAt) {
        totalMs += t.finishedAt - t.startedAt;
        timed++;
      }
    }
  }
  const finishedRuns = runs.filter((r) => r.finishedAt);
  return {
    runs: runs.length,
    runsByStatus: runs.reduce<Record<string, number>>((acc, r) => ((acc[r.status] = (acc[r.status] ?? 0) + 1), acc), {}),
    tasksProcessed: processed,
    succeeded,
    failed,
    successRate: processed ? Math.round((succeeded / processed) * 10000) / 100 : null,
    averageTaskMs: timed ? Math.round(totalMs / timed) : null,
    attempts,
    tasksRetried: retried,
    averageRunMs: finishedRuns.length ? Math.round(finishedRuns.reduce((s, r) => s + (r.finishedAt! - (r.startedAt ?? r.createdAt)), 0) / finishedRuns.length) : null,
    lastRunAt: runs.length ? new Date(Math.max(...runs.map((r) => r.createdAt))).toISOString() : null,
  };
}
