/** Run reports (markdown and JSON) and cross-run statistics (seed 003's metrics). */
import { computeFigures, describeCounts, emptyCounts, FIGURE_BUCKETS, unionLength } from '../core/run-figures.js';
import { describeUsage, formatCost } from '../core/usage.js';
import type { RunRecord, TaskRecord } from '../store/records.js';
import type { RunStatusJson } from './run-status.js';

function ms(a: string | null, b: string | null): number | null {
  return a && b ? Date.parse(b) - Date.parse(a) : null;
}

/** Human duration for milliseconds: `850ms`, `12.3s`, `2m46s`, `1h05m`. */
export function formatDuration(milliseconds: number | null): string {
  if (milliseconds === null || !Number.isFinite(milliseconds)) return '—';
  if (milliseconds < 1000) return `${Math.round(milliseconds)}ms`;
  if (milliseconds < 60_000) return `${(milliseconds / 1000).toFixed(1)}s`;
  const seconds = Math.floor(milliseconds / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 24 * 60) return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(minutes / 1440)}d${String(Math.floor((minutes % 1440) / 60)).padStart(2, '0')}h`;
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
  return { tasks: status.tasks.length, byStatus, attempts, retried, durationMs: ms(status.run.startedAt, status.run.finishedAt), usage: status.run.usage };
}

type StatusTask = RunStatusJson['tasks'][number];

/** Tasks in the order people look for them: failed for good, then retried, then the rest in plan order. */
export function problemsFirst<T extends { status: string; attempts: readonly unknown[] }>(tasks: readonly T[]): T[] {
  const rank = (t: T) => (t.status === 'failed' ? 0 : t.status === 'cancelled' ? 1 : t.attempts.length > 1 ? 2 : t.status === 'blocked' ? 4 : 3);
  return tasks
    .map((t, i) => ({ t, i, r: rank(t) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.t);
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
  if (run.maxCostUsd !== null) out.push(`- Budget: ${formatCost(totals.usage.costUsd)} spent of ${formatCost(run.maxCostUsd)}${run.reason === 'budget' ? ' — **budget spent: the run stopped starting attempts**' : ''}`);
  if (run.error) out.push(`- Error: ${esc(run.error)}`);
  out.push(`- Usage: ${describeUsage(totals.usage) || 'not reported by the agent'}${totals.usage.attempts ? ` (${totals.usage.attempts} attempt${totals.usage.attempts === 1 ? '' : 's'} reporting)` : ''}`);
  const figures = status.figures;
  out.push(`- Outcome: ${describeCounts(figures.counts)} · success rate ${figures.successRate === null ? '—' : `${figures.successRate}%`} of the tasks that ran${figures.throughputPerHour === null ? '' : ` · ${figures.throughputPerHour} tasks/h while running`}`);
  if (status.eta.basis !== 'done') out.push(`- ETA: ${formatDuration(status.eta.remainingMs)} (${status.eta.openTasks} tasks left)`);
  const blocks = new Map(figures.failures.map((f) => [f.id, f.blocks]));
  const failedForGood = status.tasks.filter((t) => t.status === 'failed' || t.status === 'cancelled');
  if (failedForGood.length) {
    out.push('', '## Failed for good', '');
    for (const t of failedForGood) {
      const last = t.attempts.at(-1);
      const n = blocks.get(t.id) ?? 0;
      const used = describeUsage(t.usage);
      const verify = verifyExcerpt([...t.attempts].reverse().find((a) => a.verifyOutput)?.verifyOutput);
      out.push(`- **${t.id}** ${esc(t.title)}: ${t.status} after ${t.attempts.length} attempt${t.attempts.length === 1 ? '' : 's'}${last?.errorCategory ? ` (${last.errorCategory})` : ''}${n ? ` · blocks ${n} task${n === 1 ? '' : 's'}` : ''}${t.error ? ` — ${esc(t.error.split('\n')[0]!)}` : ''}${used ? ` · ${used}` : ''}`);
      if (verify) out.push('', '  Verify output (end):', '', '  ```', ...verify.map((l) => `  ${l.replace(/```/g, "'''")}`), '  ```', '');
    }
  }
  const retried = status.tasks.filter((t) => t.status !== 'failed' && t.status !== 'cancelled' && t.attempts.some((a) => a.status !== 'succeeded' && a.status !== 'running'));
  if (retried.length) {
    out.push('', '## Retried', '');
    for (const t of retried) {
      for (const a of t.attempts.filter((x) => x.status !== 'succeeded' && x.status !== 'running')) {
        const used = describeUsage(a.usage);
        out.push(`- **${t.id}** attempt ${a.number}: ${a.status}${a.errorCategory ? ` (${a.errorCategory})` : ''}${a.error ? ` — ${esc(a.error.split('\n')[0]!)}` : ''}${used ? ` · ${used}` : ''}${t.status === 'succeeded' ? ' · then succeeded' : ''}`);
      }
    }
  }
  out.push('', '## Tasks', '', '| Task | Title | Status | Attempts | Duration | Usage | PR | Error |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const t of problemsFirst<StatusTask>(status.tasks)) {
    out.push(`| ${esc(t.id)} | ${esc(t.title)} | ${t.status} | ${t.attempts.length} | ${formatDuration(ms(t.startedAt, t.finishedAt))} | ${esc(describeUsage(t.usage))} | ${t.prUrl ? `[link](${t.prUrl})` : ''} | ${esc(t.error ?? '')} |`);
  }
  return out.join('\n') + '\n';
}

/** The last `lines` non-blank lines of a verify output, for status and report; [] when there is none. */
export function verifyExcerpt(output: string | null | undefined, lines = 12): string[] {
  if (!output) return [];
  return output.split('\n').map((l) => l.trimEnd()).filter((l) => l.trim()).slice(-lines);
}

/** Statistics across runs: outcomes counted apart, success rate over tasks that ran, throughput over the time tasks ran. */
export function computeStats(runs: RunRecord[], tasksByRun: Map<string, TaskRecord[]>, now: number = Date.now()) {
  const counts = emptyCounts();
  const intervals: [number, number][] = [];
  let totalMs = 0;
  let timed = 0;
  let attempts = 0;
  let retried = 0;
  for (const run of runs) {
    const tasks = tasksByRun.get(run.id) ?? [];
    const f = computeFigures(tasks, now);
    for (const b of FIGURE_BUCKETS) counts[b] += f.counts[b];
    for (const t of tasks) {
      if (t.status === 'done') continue;
      attempts += t.attemptCount;
      if (t.attemptCount > 1) retried++;
      if (t.startedAt !== null) intervals.push([t.startedAt, t.finishedAt ?? (t.status === 'running' ? now : t.startedAt)]);
      if ((t.status === 'succeeded' || t.status === 'failed') && t.startedAt && t.finishedAt) {
        totalMs += t.finishedAt - t.startedAt;
        timed++;
      }
    }
  }
  const ran = counts.succeeded + counts.failed;
  const activeMs = unionLength(intervals);
  const finishedRuns = runs.filter((r) => r.finishedAt);
  return {
    runs: runs.length,
    runsByStatus: runs.reduce<Record<string, number>>((acc, r) => ((acc[r.status] = (acc[r.status] ?? 0) + 1), acc), {}),
    /** Tasks that ran to an outcome (succeeded or failed). */
    tasksProcessed: ran,
    succeeded: counts.succeeded,
    failed: counts.failed,
    blocked: counts.blocked,
    cancelled: counts.cancelled,
    running: counts.running,
    pending: counts.pending,
    successRate: ran ? Math.round((counts.succeeded / ran) * 10000) / 100 : null,
    averageTaskMs: timed ? Math.round(totalMs / timed) : null,
    attempts,
    tasksRetried: retried,
    activeMs,
    throughputPerHour: ran > 0 && activeMs >= 1000 ? Math.round((ran / activeMs) * 3_600_000 * 10) / 10 : null,
    averageRunMs: finishedRuns.length ? Math.round(finishedRuns.reduce((s, r) => s + (r.finishedAt! - (r.startedAt ?? r.createdAt)), 0) / finishedRuns.length) : null,
    lastRunAt: runs.length ? new Date(Math.max(...runs.map((r) => r.createdAt))).toISOString() : null,
  };
}
