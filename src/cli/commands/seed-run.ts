/**
 * Seed 001's execution commands under their own names, each a thin use of weft's engine:
 * execute-queries (a `generate-queries` file), execute-tasks (a tasks JSON file), generate-interface
 * (an interface task through an agent) and create-mock (a typed mock from an interface file).
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.js';
import { InputError } from '../../core/errors.js';
import type { Plan, TaskSpec } from '../../core/task.js';
import { analyzePlan } from '../../plan/analyze-plan.js';
import { readSource } from '../load-plan.js';
import { DB_HELP, withWeft } from '../with-weft.js';
import { parseJsonFile } from './import.js';
import { describeCount, executeWithProgress, parseCount } from './run.js';

/** Flags shared by the commands that run work. */
interface ExecFlags {
  inputFile?: string;
  agent?: string;
  repo?: string;
  concurrency?: string;
  maxAttempts?: string;
  verify?: string;
  orgId?: string;
  token?: string;
  db?: string;
  json?: boolean;
  quiet?: boolean;
}

function addExecOptions(cmd: Command): Command {
  return cmd
    .option('--agent <name|command>', 'agent backend (default: codegen when --org-id/--token are given, else the config agent)')
    .option('--repo <dir>', 'git repository the agents work in')
    .option('--concurrency <n>', 'attempts running at once')
    .option('--max-attempts <n>', 'attempts per task before it fails for good')
    .option('--verify <command>', 'quality gate run in the worktree after the agent')
    .option('--org-id <id>', 'Codegen organization id (same as CODEGEN_ORG_ID)')
    .option('--token <token>', 'Codegen API token (same as CODEGEN_API_KEY; prefer the environment variable)')
    .option('--db <db>', DB_HELP)
    .option('--json', 'print the final status as JSON on stdout')
    .option('--quiet', 'no progress view');
}

/** `--org-id`/`--token` are the Codegen settings under the seed's names; they pick codegen unless --agent says otherwise. */
export function applyCodegenFlags(flags: { orgId?: string; token?: string; agent?: string }): string | undefined {
  if (flags.orgId !== undefined) process.env.CODEGEN_ORG_ID = flags.orgId;
  if (flags.token !== undefined) process.env.CODEGEN_API_KEY = flags.token;
  return flags.agent ?? (flags.orgId !== undefined || flags.token !== undefined ? 'codegen' : undefined);
}

/** Stores a run of `plan` and executes it with progress (exit code 1 when work failed). */
export async function runPlan(plan: Plan, flags: ExecFlags): Promise<void> {
  const agent = applyCodegenFlags(flags);
  const concurrency = parseCount('concurrency', flags.concurrency);
  const maxAttempts = parseCount('max-attempts', flags.maxAttempts);
  await withWeft(flags, async (weft) => {
    const run = await weft.createRun(plan, {
      ...(agent ? { agent } : {}),
      ...(concurrency ? { concurrency } : {}),
      ...(maxAttempts ? { maxAttempts } : {}),
      ...(flags.repo ? { repo: flags.repo } : {}),
      ...(flags.verify ? { verify: flags.verify } : {}),
    });
    process.stderr.write(`weft: run ${run.id} · ${describeCount(plan)} · agent ${run.agent} · concurrency ${run.concurrency}\n`);
    await executeWithProgress(weft, run.id, flags, false);
  });
}

/** Registers the seed 001 execution commands. */
export function registerSeedRunCommands(program: Command): void {
  addExecOptions(
    program
      .command('execute-queries')
      .description('Run a `weft generate-queries` file through the engine: each prompt goes to an agent as is')
      .requiredOption('--input-file <file>', 'queries JSON: a list of { id?, title?, prompt, dependsOn? }'),
  ).action(async (flags: ExecFlags) => {
    const file = flags.inputFile!;
    const tasks = queriesToTasks(parseJsonFile(await readSource(file), file), file);
    await runPlan(analyzePlan({ title: `Queries from ${file}`, context: '', tasks, source: file }), flags);
  });

  addExecOptions(
    program
      .command('execute-tasks')
      .description('Run a tasks JSON file concurrently (`weft parse-requirements --json` output, a list of tasks, or Task Master tasks.json)')
      .requiredOption('--input-file <file>', 'tasks JSON'),
  ).action(async (flags: ExecFlags) => {
    const file = flags.inputFile!;
    const { config } = await loadConfig();
    const json = parseJsonFile(await readSource(file), file);
    const { isWeftTaskList, readWeftTaskList } = await import('../../plan/task-list.js');
    let plan: Plan;
    if (isWeftTaskList(json)) {
      const list = readWeftTaskList(json, file, config.defaultEstimateMinutes);
      plan = analyzePlan({ ...list, source: file });
    } else {
      const { importTaskmaster } = await import('../../plan/taskmaster.js');
      const imported = importTaskmaster(json, file, { estimateMinutes: config.defaultEstimateMinutes });
      plan = analyzePlan({ title: imported.title, context: '', tasks: imported.tasks, source: file });
    }
    await runPlan(plan, flags);
  });

  addExecOptions(
    program
      .command('generate-interface')
      .description("Have an agent write a component's interface, a mock implementation and its contract documents, on the integration branch")
      .requiredOption('--name <name>', 'component name, e.g. UserService')
      .requiredOption('--description <text>', 'what the component does')
      .option('--path <file>', 'where the interface goes (default src/interfaces/<name>.ts)'),
  ).action(async (flags: ExecFlags & { name: string; description: string; path?: string }) => {
    const { interfaceTask } = await import('../../plan/interface-task.js');
    const task = interfaceTask({ name: flags.name, description: flags.description, ...(flags.path ? { path: flags.path } : {}) });
    await runPlan(analyzePlan({ title: `Interface ${flags.name}`, context: '', tasks: [task], source: 'generate-interface' }), flags);
  });

  program
    .command('create-mock')
    .description('Write a typed mock implementation of the interfaces in a TypeScript file (deterministic, no agent)')
    .requiredOption('--input-file <file>', 'file with the interfaces (TypeScript)')
    .option('--output <file>', 'write the mock here instead of stdout')
    .option('--import-path <path>', 'module the mock imports the interfaces from (default: the input file, relative)')
    .option('--org-id <id>', 'accepted for seed 001 compatibility; the mock needs no agent')
    .option('--token <token>', 'accepted for seed 001 compatibility; the mock needs no agent')
    .action(async (flags: { inputFile: string; output?: string; importPath?: string }) => {
      const { createMock } = await import('../../context/create-mock.js');
      const text = await readSource(flags.inputFile);
      const mock = await createMock(text, { file: flags.inputFile, ...(flags.output ? { outputFile: flags.output } : {}), ...(flags.importPath ? { importPath: flags.importPath } : {}) });
      if (flags.output) {
        await writeFile(flags.output, mock.text);
        process.stderr.write(`weft: wrote ${flags.output}: mocks of ${mock.interfaces.join(', ')}\n`);
      } else process.stdout.write(mock.text);
    });
}

/** A queries file's entries as tasks whose prompt is given verbatim. */
export function queriesToTasks(json: unknown, file: string): TaskSpec[] {
  const list = Array.isArray(json) ? json : typeof json === 'object' && json !== null && Array.isArray((json as { queries?: unknown }).queries) ? (json as { queries: unknown[] }).queries : undefined;
  if (!list) throw new InputError(`${file}: expected a list of queries (as \`weft generate-queries\` prints)`, { file });
  const ids = new Set<string>();
  const tasks = list.map((q, i): TaskSpec => {
    const where = `${file}: [${i}]`;
    if (typeof q !== 'object' || q === null) throw new InputError(`${where}: expected an object with a "prompt"`, { file });
    const r = q as Record<string, unknown>;
    const prompt = [r.prompt, r.query, r.text].find((v): v is string => typeof v === 'string' && v.trim() !== '');
    if (!prompt) throw new InputError(`${where}.prompt: expected non-empty text`, { file });
    const id = typeof r.id === 'string' || typeof r.id === 'number' ? String(r.id) : `query-${i + 1}`;
    if (ids.has(id)) throw new InputError(`${where}.id: duplicate id "${id}"`, { file });
    ids.add(id);
    const title = typeof r.title === 'string' && r.title.trim() ? r.title.trim() : (prompt.split('\n').find((l) => l.trim()) ?? id).replace(/^#+\s*/, '').slice(0, 80);
    return {
      id, title, description: '', type: 'feature', typeReason: 'query', priority: 'medium', status: 'pending',
      dependsOn: Array.isArray(r.dependsOn) ? r.dependsOn.map(String) : [],
      estimateMinutes: 60, files: Array.isArray(r.files) ? r.files.map(String) : [], acceptanceCriteria: [],
      requirementId: id, requirementTitle: title, prompt, source: { file, line: 1 },
    };
  });
  // A phase's queries may name dependencies from earlier phases that are not in this file: already done.
  for (const t of tasks) t.dependsOn = t.dependsOn.filter((d) => ids.has(d));
  return tasks;
}
