/** `weft plan`: requirements -> phases, critical path, totals; `--save` stores the plan. */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { Plan } from '../../core/task.js';
import { loadConfig } from '../../config/load-config.js';
import { planToDot, planToMermaid } from '../../plan/render/plan-graph.js';
import { planToJson } from '../../plan/render/plan-json.js';
import { planToText } from '../../plan/render/plan-text.js';
import { loadPlan } from '../load-plan.js';
import { printJson, useColor } from '../output.js';

/** Output options shared by every command that prints a plan. */
export interface PlanOutputOptions {
  json?: boolean;
  format: string;
  explain?: boolean;
}

/** Options of commands that can store the plan they print. */
export interface SaveOptions {
  save?: boolean;
  db?: string;
}

/** Adds `--json`, `--format` and `--explain` to a command. */
export function addPlanOutputOptions(cmd: Command): Command {
  return cmd
    .option('--json', 'print the plan as JSON (same as --format json)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'mermaid', 'dot']).default('text'))
    .option('--explain', 'say why each task got its type and dependencies');
}

/** Adds `--save` and `--db` to a command. */
export function addSaveOptions(cmd: Command): Command {
  return cmd
    .option('--save', 'store the plan in the database and print its id on stderr')
    .option('--db <path|url>', 'SQLite file or postgres:// URL (default: $WEFT_DB, else .weft/weft.db)');
}

/** Writes a plan to stdout in the chosen format. */
export function printPlan(plan: Plan, opts: PlanOutputOptions): void {
  const format = opts.json ? 'json' : opts.format;
  if (format === 'json') printJson(planToJson(plan, { explain: opts.explain ?? false }));
  else if (format === 'mermaid') process.stdout.write(planToMermaid(plan));
  else if (format === 'dot') process.stdout.write(planToDot(plan));
  else process.stdout.write(planToText(plan, { color: useColor(), explain: opts.explain ?? false }));
}

/** A fresh plan id: `plan-<time in base 36>-<random>`, sortable by creation time. */
export function newPlanId(now = Date.now()): string {
  return `plan-${now.toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Stores a plan (flag, then WEFT_DB, then the config's `db`, then .weft/weft.db); returns its id. */
export async function savePlan(plan: Plan, source: string, dbFlag: string | undefined, configDb?: string): Promise<string> {
  // Loaded on demand: the store's drivers are most of the CLI's start-up time and most commands never need them.
  const { openStore, resolveDbSpec } = await import('../../store/open-store.js');
  const store = await openStore(resolveDbSpec(dbFlag, process.env, configDb));
  try {
    const now = Date.now();
    const saved = await store.savePlan(plan, { id: newPlanId(now), source, createdAt: now });
    return saved.id;
  } finally {
    await store.close();
  }
}

/** Registers `weft plan`. */
export function registerPlanCommands(program: Command): void {
  const cmd = program
    .command('plan')
    .description('Break REQUIREMENTS.md into atomic tasks and show phases, the critical path and totals')
    .argument('[file]', 'requirements document', 'REQUIREMENTS.md')
    .option('--structure <file>', 'STRUCTURE.md with components (interface-first planning)');
  addSaveOptions(addPlanOutputOptions(cmd)).action(async (file: string, opts: PlanOutputOptions & SaveOptions & { structure?: string }) => {
    const { config } = await loadConfig();
    // Planning throws on bad input before any store is opened, so bad input writes nothing.
    const plan = await loadPlan(file, {
      ...(opts.structure ? { structure: opts.structure } : {}),
      defaultEstimateMinutes: config.defaultEstimateMinutes,
    });
    if (opts.save) {
      const id = await savePlan(plan, resolve(file), opts.db, config.db);
      process.stderr.write(`saved plan ${id}\n`);
    }
    printPlan(plan, opts);
  });
}
