/** `weft next`: the task to do next, by the scheduler's own order. */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.js';
import { formatMinutes } from '../../plan/estimate.js';
import { pickNextTask } from '../../plan/next-task.js';
import { planToJson } from '../../plan/render/plan-json.js';
import { loadPlan } from '../load-plan.js';
import { printJson } from '../output.js';

/** Registers `weft next`. */
export function registerNextCommand(program: Command): void {
  program
    .command('next')
    .description('Show the task to do next: dependencies done, longest remaining path first, then priority')
    .argument('[file]', 'requirements document', 'REQUIREMENTS.md')
    .option('--structure <file>', 'STRUCTURE.md with components (interface-first planning)')
    .option('--json', 'print the task as JSON (null when nothing is ready)')
    .action(async (file: string, opts: { structure?: string; json?: boolean }) => {
      const { config } = await loadConfig();
      const plan = await loadPlan(file, {
        ...(opts.structure ? { structure: opts.structure } : {}),
        defaultEstimateMinutes: config.defaultEstimateMinutes,
      });
      const next = pickNextTask(plan.tasks);
      if (opts.json) {
        // The same task fields as `weft plan --json`, so scripts can treat both alike.
        const task = next ? planToJson({ ...plan, tasks: [next.task] }).tasks[0] : undefined;
        printJson(task ? { ...task, reason: next!.reason } : null);
        return;
      }
      if (!next) {
        process.stdout.write('Nothing to do: every task is done.\n');
        return;
      }
      const t = next.task;
      const lines = [
        `${t.id}  ${t.title}`,
        `  ${t.type} · ${t.priority} · ${formatMinutes(t.estimateMinutes)}${t.critical ? ' · on the critical path' : ''}`,
        ...(t.files.length ? [`  files: ${t.files.join(', ')}`] : []),
        `  why: ${next.reason}`,
        '',
        `See its prompt with: weft prompt ${file} ${t.id}${opts.structure ? ` --structure ${opts.structure}` : ''}`,
      ];
      process.stdout.write(lines.join('\n') + '\n');
    });
}
