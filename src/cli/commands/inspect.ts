/** `weft status`, `weft runs`, `weft report`, `weft stats`: read-only views of the store. */
import { Option, type Command } from 'commander';
import { styleText } from 'node:util';
import { describeCounts } from '../../core/run-figures.js';
import { describeUsage, formatCost } from '../../core/usage.js';
import { computeStats, formatDuration, problemsFirst, reportJson, reportMarkdown, verifyExcerpt } from '../../engine/run-report.js';
import { iso, loadRunStatus, resolveRunId } from '../../engine/run-status.js';
import type { TaskRecord } from '../../store/records.js';
import { printJson, useColor } from '../output.js';
import { DB_HELP, withReadOnlyWeft } from '../with-weft.js';

const STATUS_STYLE: Record<string, Parameters<typeof styleText>[0]> = {
  succeeded: 'green', done: 'green', failed: 'red', blocked: 'yellow', cancelled: 'dim', running: 'cyan', ready: 'blue', pending: 'dim',
};

/** Registers the read-only commands. */
export function registerInspectCommands(program: Command): void {
  program
    .command('status')
    .description("A run's tasks and attempts (default: the latest run)")
    .argument('[run-id]')
    .option('--db <db>', DB_HELP)
    .option('--json', 'print the status JSON')
    .action(async (runId: string | undefined, flags: { db?: string; json?: boolean }) => {
      await withReadOnlyWeft(flags, async (weft) => {
        const status = weft.redact.json(await loadRunStatus(weft.store, await resolveRunId(weft.store, runId)));
        if (flags.json) return printJson(status);
        const color = useColor();
        const st = (f: Parameters<typeof styleText>[0], t: string) => (color ? styleText(f, t) : t);
        const { figures, eta } = status;
        const rate = figures.successRate === null ? '' : ` · ${figures.successRate}% of the tasks that ran succeeded`;
        process.stdout.write(`${st('bold', `run ${status.run.id}`)}  ${status.run.title}\n`);
        const used = describeUsage(status.run.usage);
        process.stdout.write(`${status.run.status} · ${describeCounts(figures.counts)}${rate}${eta.basis === 'done' ? '' : ` · ETA ${formatDuration(eta.remainingMs)}`}${status.run.branch ? ` · branch ${status.run.branch}` : ''}\n`);
        if (used) process.stdout.write(`usage: ${used}${status.run.maxCostUsd !== null ? ` · budget ${formatCost(status.run.maxCostUsd)}` : ''}\n`);
        if (status.run.error) process.stdout.write(st(status.run.reason === 'budget' ? 'red' : 'dim', `${status.run.error}\n`));
        for (const p of status.run.pausedBackends) process.stdout.write(st('yellow', `${p.backend} paused until ${p.until}: ${p.reason}\n`));
        if (status.run.retryOf) process.stdout.write(st('dim', `retry of run ${status.run.retryOf}\n`));
        process.stdout.write('\n');
        const blocks = new Map(figures.failures.map((f) => [f.id, f.blocks]));
        const w = Math.min(28, Math.max(...status.tasks.map((t) => t.id.length), 4));
        let section = '';
        for (const t of problemsFirst(status.tasks)) {
          const head = t.status === 'failed' || t.status === 'cancelled' ? 'Failed for good' : t.attempts.length > 1 ? 'Retried' : 'Tasks';
          if (head !== section && !(section === '' && head === 'Tasks')) process.stdout.write(`${section ? '\n' : ''}${st('bold', head)}\n`);
          section = head;
          const s = st(STATUS_STYLE[t.status] ?? 'reset', t.status.padEnd(9));
          const taskUsed = describeUsage(t.usage);
          const tries = st('dim', [t.attempts.length > 1 ? `${t.attempts.length} attempts` : '', taskUsed].filter(Boolean).map((x) => ` (${x})`).join(''));
          const n = blocks.get(t.id) ?? 0;
          const blocking = n ? st('yellow', ` · blocks ${n} task${n === 1 ? '' : 's'}`) : '';
          process.stdout.write(`  ${s} ${t.id.padEnd(w)}  ${t.title}${tries}${blocking}${t.prUrl ? `  ${t.prUrl}` : ''}\n`);
          if (t.error && t.status !== 'succeeded') process.stdout.write(st('dim', `  ${' '.repeat(9)} ${' '.repeat(w)}  ${t.error.split('\n')[0]}\n`));
          // What the verify command said, for a task that failed (the whole output: weft report, or the task's log).
          const verify = t.status === 'failed' ? verifyExcerpt(t.attempts.at(-1)?.verifyOutput, 8) : [];
          for (const line of verify) process.stdout.write(st('dim', `  ${' '.repeat(9)} ${' '.repeat(w)}  │ ${line}\n`));
        }
      });
    });

  program
    .command('runs')
    .description('List runs, newest first')
    .option('--db <db>', DB_HELP)
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print JSON')
    .action(async (flags: { db?: string; json?: boolean; limit: string }) => {
      await withReadOnlyWeft(flags, async (weft) => {
        const runs = await weft.store.listRuns(Math.max(1, Number(flags.limit) || 20));
        if (flags.json) {
          return printJson(runs.map((r) => ({ id: r.id, title: r.title, status: r.status, agent: r.agent, createdAt: iso(r.createdAt), startedAt: iso(r.startedAt), finishedAt: iso(r.finishedAt), branch: r.branch })));
        }
        if (runs.length === 0) return void process.stdout.write('no runs yet: try `weft run REQUIREMENTS.md --agent simulate`\n');
        for (const r of runs) {
          const took = r.startedAt && r.finishedAt ? formatDuration(r.finishedAt - r.startedAt) : '';
          process.stdout.write(`${r.id}  ${r.status.padEnd(9)}  ${iso(r.createdAt)}  ${took.padEnd(8)}  ${r.agent}  ${r.title}\n`);
        }
      });
    });

  program
    .command('report')
    .description("A run's report: every task, its attempts, durations, errors and PR links, and totals")
    .argument('[run-id]')
    .option('--db <db>', DB_HELP)
    .addOption(new Option('--format <format>', 'report format').choices(['md', 'json']).default('md'))
    .action(async (runId: string | undefined, flags: { db?: string; format: string }) => {
      await withReadOnlyWeft(flags, async (weft) => {
        const status = weft.redact.json(await loadRunStatus(weft.store, await resolveRunId(weft.store, runId)));
        if (flags.format === 'json') printJson(reportJson(status));
        else process.stdout.write(reportMarkdown(status));
      });
    });

  program
    .command('stats')
    .description('Statistics over all runs: tasks processed, success rate, average time')
    .option('--db <db>', DB_HELP)
    .option('--json', 'print JSON')
    .action(async (flags: { db?: string; json?: boolean }) => {
      await withReadOnlyWeft(flags, async (weft) => {
        const runs = await weft.store.listRuns();
        const tasks = new Map<string, TaskRecord[]>();
        for (const r of runs) tasks.set(r.id, await weft.store.listTasks(r.id));
        const stats = { ...computeStats(runs, tasks), usage: await weft.store.usageTotals() };
        if (flags.json) return printJson(stats);
        process.stdout.write(
          [
            `runs:            ${stats.runs} (${Object.entries(stats.runsByStatus).map(([k, v]) => `${v} ${k}`).join(', ') || 'none'})`,
            `tasks that ran:  ${stats.tasksProcessed} (succeeded or failed)`,
            `succeeded:       ${stats.succeeded}`,
            `failed:          ${stats.failed}`,
            `blocked:         ${stats.blocked}`,
            `cancelled:       ${stats.cancelled}`,
            `running:         ${stats.running}`,
            `pending:         ${stats.pending}`,
            `success rate:    ${stats.successRate === null ? '—' : `${stats.successRate}% of the tasks that ran`}`,
            `throughput:      ${stats.throughputPerHour === null ? '—' : `${stats.throughputPerHour} tasks/h over ${formatDuration(stats.activeMs)} of running tasks`}`,
            `average task:    ${formatDuration(stats.averageTaskMs)}`,
            `attempts:        ${stats.attempts} (${stats.tasksRetried} tasks retried)`,
            `usage:           ${describeUsage(stats.usage) || 'none reported by the agents'}`,
            `average run:     ${formatDuration(stats.averageRunMs)}`,
          ].join('\n') + '\n',
        );
      });
    });
}
