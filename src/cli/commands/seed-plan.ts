/**
 * Seed 001's planning commands under their own names, each a thin use of weft's planner:
 * create-requirements, create-structure, parse-requirements, identify-dependencies, prioritize-tasks,
 * generate-queries.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.js';
import { InputError } from '../../core/errors.js';
import type { Plan } from '../../core/task.js';
import { formatMinutes } from '../../plan/estimate.js';
import { planToJson } from '../../plan/render/plan-json.js';
import { writeStarterFile } from '../init.js';
import { loadPlan } from '../load-plan.js';
import { printJson } from '../output.js';
import { openRepoContext } from '../repo-context.js';
import { positiveInt } from './cli-args.js';

interface PlanFlags {
  structure?: string;
  json?: boolean;
}

/** Registers the seed 001 planning commands. */
export function registerSeedPlanCommands(program: Command): void {
  for (const [name, file] of [
    ['create-requirements', 'REQUIREMENTS.md'],
    ['create-structure', 'STRUCTURE.md'],
  ] as const) {
    program
      .command(name)
      .description(`Write a starter ${file} (as \`weft init\` does, this file only)`)
      .argument('[file]', 'where to write it', file)
      .option('--force', 'overwrite an existing file')
      .action(async (path: string, opts: { force?: boolean }) => {
        await writeStarterFile(file, path, { force: opts.force ?? false });
        process.stdout.write(`wrote ${path}\n`);
      });
  }

  const planned = (name: string, description: string) =>
    program
      .command(name)
      .description(description)
      .argument('[file]', 'requirements document', 'REQUIREMENTS.md')
      .option('--structure <file>', 'STRUCTURE.md with components (interface-first planning)')
      .option('--json', 'print JSON');

  planned('parse-requirements', 'Break REQUIREMENTS.md into atomic tasks (`weft plan`, tasks only)').action(async (file: string, flags: PlanFlags) => {
    const plan = await plan_(file, flags);
    if (flags.json) return printJson(planToJson(plan));
    for (const t of plan.tasks) {
      process.stdout.write(`${t.id}\t${t.type}\t${t.priority}\t${formatMinutes(t.estimateMinutes)}\t${t.status === 'done' ? '[done] ' : ''}${t.title}\n`);
    }
    process.stdout.write(`${plan.tasks.length} tasks; execute them with \`weft execute-tasks --input-file tasks.json\` after \`weft parse-requirements --json > tasks.json\`\n`);
  });

  planned('identify-dependencies', 'The dependency graph between the tasks: what each depends on and what builds on it').action(async (file: string, flags: PlanFlags) => {
    const plan = await plan_(file, flags);
    const graph = dependencyGraph(plan);
    if (flags.json) return printJson(graph);
    for (const t of graph.tasks) {
      const deps = t.dependsOn.length ? t.dependsOn.join(', ') : '(none)';
      process.stdout.write(`${t.id}  ${t.title}\n  depends on: ${deps}\n${t.dependents.length ? `  unblocks:   ${t.dependents.join(', ')}\n` : ''}`);
    }
    process.stdout.write(`${graph.edges.length} dependencies; foundation tasks (no dependencies): ${graph.tasks.filter((t) => t.dependsOn.length === 0).length}\n`);
  });

  planned('prioritize-tasks', 'Group the tasks into phases for concurrent execution, with the critical path').action(async (file: string, flags: PlanFlags) => {
    const plan = await plan_(file, flags);
    const phases = phaseList(plan);
    if (flags.json) return printJson({ phases, criticalPath: plan.criticalPath, criticalPathMinutes: plan.criticalPathMinutes, totalMinutes: plan.totalMinutes });
    for (const p of phases) {
      process.stdout.write(`Phase ${p.phase} (${p.tasks.length} in parallel)\n`);
      for (const t of p.tasks) process.stdout.write(`  ${t.critical ? '*' : ' '} ${t.id}  ${t.title}  [${t.priority}, ${formatMinutes(t.estimateMinutes)}]\n`);
    }
    process.stdout.write(`critical path (*): ${plan.criticalPath.join(' -> ')} (${formatMinutes(plan.criticalPathMinutes)})\n`);
  });

  program
    .command('generate-queries')
    .description("Print the prompts of one phase's tasks as JSON (the input of `weft execute-queries`)")
    .argument('[file]', 'requirements document', 'REQUIREMENTS.md')
    .requiredOption('--phase <n>', 'phase number (1 = tasks with no open dependencies)', positiveInt)
    .option('--structure <file>', 'STRUCTURE.md with components (interface-first planning)')
    .option('--repo <dir>', 'repository whose code goes into the prompts', '.')
    .option('--no-code-context', 'leave the code context out')
    .option('--max-chars <n>', 'size budget of each prompt in characters', positiveInt)
    .action(async (file: string, flags: PlanFlags & { phase: number; repo: string; codeContext?: boolean; maxChars?: number }) => {
      const { config } = await loadConfig();
      const plan = await plan_(file, flags);
      const ids = plan.phases[flags.phase - 1];
      if (!ids) throw new InputError(`no phase ${flags.phase}: the plan has ${plan.phases.length} phase${plan.phases.length === 1 ? '' : 's'}`, { phase: flags.phase });
      const { buildPrompt, budgetChars } = await import('../../prompt/index.js');
      const maxChars = flags.maxChars ?? config.prompt.maxChars;
      const budget = maxChars !== undefined ? { maxChars } : {};
      const gather = flags.codeContext !== false ? await openRepoContext(config, flags.repo, budgetChars(budget)) : null;
      const queries = [];
      for (const id of ids) {
        const task = plan.tasks.find((t) => t.id === id)!;
        const repoContext = gather ? await gather(task) : undefined;
        const built = await buildPrompt(plan, id, { ...budget, bestPractices: config.prompt.enhanceWithBestPractices, ...(repoContext ? { repoContext } : {}) });
        queries.push({ id, title: task.title, type: task.type, priority: task.priority, phase: flags.phase, dependsOn: task.dependsOn, files: task.files, prompt: built.text });
      }
      printJson(queries);
    });
}

async function plan_(file: string, flags: PlanFlags): Promise<Plan> {
  const { config } = await loadConfig();
  return loadPlan(file, { ...(flags.structure ? { structure: flags.structure } : {}), defaultEstimateMinutes: config.defaultEstimateMinutes });
}

/** Each task with its dependencies and dependents, and the edges `{ from: dependency, to: dependent }`. */
export function dependencyGraph(plan: Plan) {
  const dependents = new Map<string, string[]>();
  for (const t of plan.tasks) for (const d of t.dependsOn) (dependents.get(d) ?? dependents.set(d, []).get(d)!).push(t.id);
  return {
    tasks: plan.tasks.map((t) => ({ id: t.id, title: t.title, phase: t.phase, dependsOn: t.dependsOn, dependents: dependents.get(t.id) ?? [] })),
    edges: plan.tasks.flatMap((t) => t.dependsOn.map((d) => ({ from: d, to: t.id }))),
  };
}

/** The plan's phases with their tasks, for `prioritize-tasks`. */
export function phaseList(plan: Plan) {
  const byId = new Map(plan.tasks.map((t) => [t.id, t]));
  return plan.phases.map((ids, i) => ({
    phase: i + 1,
    tasks: ids.map((id) => {
      const t = byId.get(id)!;
      return { id, title: t.title, priority: t.priority, estimateMinutes: t.estimateMinutes, critical: t.critical, slackMinutes: t.slackMinutes };
    }),
  }));
}
