/** `weft simulate`: predicted makespan, utilization and critical path, without running anything. */
import type { Command } from 'commander';
import { simulateSchedule } from '../../core/simulate-schedule.js';
import { formatMinutes } from '../../plan/estimate.js';
import { loadPlan } from '../load-plan.js';
import { printJson } from '../output.js';
import { parseCount } from './run.js';

/** Registers `weft simulate`. */
export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description('Predict the makespan and utilization of a plan with N agents (nothing runs)')
    .argument('[file]', 'requirements document', 'REQUIREMENTS.md')
    .option('--structure <file>', 'STRUCTURE.md')
    .option('--concurrency <n>', 'agents working at once', '4')
    .option('--json', 'print JSON')
    .action(async (file: string, flags: { structure?: string; concurrency: string; json?: boolean }) => {
      const workers = parseCount('concurrency', flags.concurrency)!;
      const plan = await loadPlan(file, flags.structure ? { structure: flags.structure } : {});
      const nodes = plan.tasks.map((t) => ({ id: t.id, dependsOn: t.dependsOn, estimateMinutes: t.estimateMinutes, done: t.status === 'done', priority: t.priority }));
      const weft = simulateSchedule(nodes, workers, 'critical-path');
      const phased = simulateSchedule(nodes, workers, 'phase-by-phase');
      const result = {
        concurrency: workers,
        tasks: plan.tasks.filter((t) => t.status !== 'done').length,
        makespanMinutes: weft.makespanMinutes,
        lowerBoundMinutes: weft.lowerBoundMinutes,
        utilization: Math.round(weft.utilization * 1000) / 1000,
        phaseByPhaseMakespanMinutes: phased.makespanMinutes,
        totalMinutes: weft.totalMinutes,
        criticalPathMinutes: plan.criticalPathMinutes,
        criticalPath: plan.criticalPath,
      };
      if (flags.json) return printJson(result);
      process.stdout.write(
        [
          `${plan.title}: ${result.tasks} tasks with ${workers} agent${workers === 1 ? '' : 's'}`,
          `predicted makespan  ${formatMinutes(result.makespanMinutes)} (lower bound ${formatMinutes(result.lowerBoundMinutes)}, ${(result.makespanMinutes / Math.max(1e-9, result.lowerBoundMinutes)).toFixed(2)}×)`,
          `utilization         ${(result.utilization * 100).toFixed(1)}%`,
          `phase by phase      ${formatMinutes(result.phaseByPhaseMakespanMinutes)}`,
          `total work          ${formatMinutes(result.totalMinutes)}`,
          `critical path       ${formatMinutes(result.criticalPathMinutes)}: ${result.criticalPath.join(' → ')}`,
        ].join('\n') + '\n',
      );
    });
}
