/** `weft plan`: requirements -> phases, critical path, totals. */
import { Option, type Command } from 'commander';
import { planToDot, planToMermaid } from '../../plan/render/plan-graph.js';
import { planToJson } from '../../plan/render/plan-json.js';
import { planToText } from '../../plan/render/plan-text.js';
import { loadPlan } from '../load-plan.js';
import { printJson, useColor } from '../output.js';

/** Registers `weft plan`. */
export function registerPlanCommands(program: Command): void {
  program
    .command('plan')
    .description('Break REQUIREMENTS.md into atomic tasks and show phases, the critical path and totals')
    .argument('[file]', 'requirements document', 'REQUIREMENTS.md')
    .option('--structure <file>', 'STRUCTURE.md with components (interface-first planning)')
    .option('--json', 'print the plan as JSON (same as --format json)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'mermaid', 'dot']).default('text'))
    .option('--explain', 'say why each task got its type and dependencies')
    .action(async (file: string, opts: { structure?: string; json?: boolean; format: string; explain?: boolean }) => {
      const plan = await loadPlan(file, opts.structure ? { structure: opts.structure } : {});
      const format = opts.json ? 'json' : opts.format;
      if (format === 'json') printJson(planToJson(plan, { explain: opts.explain ?? false }));
      else if (format === 'mermaid') process.stdout.write(planToMermaid(plan));
      else if (format === 'dot') process.stdout.write(planToDot(plan));
      else process.stdout.write(planToText(plan, { color: useColor(), explain: opts.explain ?? false }));
    });
}
