/** `weft import taskmaster`: a Task Master tasks.json -> a weft plan, printed like `weft plan`. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.js';
import { InputError } from '../../core/errors.js';
import { analyzePlan } from '../../plan/analyze-plan.js';
import { readSource } from '../load-plan.js';
import { addPlanOutputOptions, addSaveOptions, printPlan, savePlan, type PlanOutputOptions, type SaveOptions } from './plan.js';

/** Parses JSON text; a syntax error is bad input naming the file. */
export function parseJsonFile(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InputError(`${file}: invalid JSON: ${(err as Error).message}`, { file });
  }
}

/** Registers `weft import` and its `taskmaster` subcommand. */
export function registerImportCommand(program: Command): void {
  const group = program.command('import').description('Turn another tool’s task list into a weft plan');
  const cmd = group
    .command('taskmaster')
    .description('Plan the tasks of a Task Master tasks.json (legacy or tagged format, subtasks included)')
    .argument('<file>', 'tasks.json')
    .option('--tag <tag>', 'tag to read from a tagged tasks.json (default: master, or the only tag)');
  addSaveOptions(addPlanOutputOptions(cmd)).action(async (file: string, opts: PlanOutputOptions & SaveOptions & { tag?: string }) => {
    const { config } = await loadConfig();
    const { importTaskmaster } = await import('../../plan/taskmaster.js');
    const json = parseJsonFile(await readSource(file), file);
    const imported = importTaskmaster(json, file, {
      ...(opts.tag !== undefined ? { tag: opts.tag } : {}),
      estimateMinutes: config.defaultEstimateMinutes,
    });
    const plan = analyzePlan({ title: imported.title, context: '', tasks: imported.tasks, source: file });
    if (opts.save) {
      const id = await savePlan(plan, resolve(file), opts.db, config.db);
      process.stderr.write(`saved plan ${id}\n`);
    }
    printPlan(plan, opts);
  });
}
