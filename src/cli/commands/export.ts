/** `weft export taskmaster`: a weft plan -> a Task Master tasks.json (tagged format). */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.js';
import { loadPlan } from '../load-plan.js';

/** Registers `weft export` and its `taskmaster` subcommand. */
export function registerExportCommand(program: Command): void {
  const group = program.command('export').description('Write a weft plan in another tool’s format');
  group
    .command('taskmaster')
    .description('Write the plan as a Task Master tasks.json (requirements with items become tasks with subtasks)')
    .argument('[file]', 'requirements document', 'REQUIREMENTS.md')
    .option('--structure <file>', 'STRUCTURE.md with components (interface-first planning)')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (file: string, opts: { structure?: string; out?: string }) => {
      const { config } = await loadConfig();
      const { exportTaskmaster } = await import('../../plan/taskmaster.js');
      const plan = await loadPlan(file, {
        ...(opts.structure ? { structure: opts.structure } : {}),
        defaultEstimateMinutes: config.defaultEstimateMinutes,
      });
      const text = JSON.stringify(exportTaskmaster(plan), null, 2) + '\n';
      if (opts.out === undefined) {
        process.stdout.write(text);
        return;
      }
      await writeFile(opts.out, text);
      process.stderr.write(`wrote ${opts.out} (${plan.tasks.length} tasks)\n`);
    });
}
