/** `weft task create|list|cancel` (seed 004): one task for a handler (by type) or an agent, as a one-step workflow run. */
import type { Command } from 'commander';
import { InputError } from '../../core/errors.js';
import type { Json } from '../../store/records.js';
import { STEP_STATUSES, type StepStatus } from '../../store/workflow-records.js';
import type { WorkflowDef } from '../../workflow/definition.js';
import { printJson } from '../output.js';
import { DB_HELP, withWeft } from '../with-weft.js';
import { executeHere } from './workflow.js';

interface TaskFlags {
  name: string;
  type: string;
  input?: string;
  prompt?: string;
  agent?: string;
  dependsOn?: string[];
  detach?: boolean;
  db?: string;
  json?: boolean;
  status?: string;
  quiet?: boolean;
}

const collect = (v: string, acc: string[] = []) => [...acc, ...v.split(',').map((x) => x.trim()).filter(Boolean)];

/** Registers `weft task`. */
export function registerTaskCommands(program: Command): void {
  const task = program.command('task').description('Single tasks by type (seed 004): a registered handler runs them, or an agent with --prompt');

  task
    .command('create')
    .description('Create a task and run it (its id is a workflow run id; --detach only stores it)')
    .requiredOption('--name <name>', 'task name')
    .requiredOption('--type <type>', 'task type (code_analysis, command, http, a configured handler, or any type with --prompt)')
    .option('--input <json>', 'input data as JSON (the handler receives it)')
    .option('--prompt <text>', 'give the task to an agent with this prompt (instead of a handler)')
    .option('--agent <name>', 'agent for --prompt (default: config agent)')
    .option('--depends-on <ids>', 'task ids (comma-separated or repeated) that must succeed first', collect)
    .option('--detach', 'store it and print its id; `weft workflow resume ID` runs it')
    .option('--db <db>', DB_HELP)
    .option('--json', 'print the finished task as JSON')
    .option('--quiet', 'no progress lines')
    .action(async (flags: TaskFlags) => {
      if (!/^[a-z][a-z0-9_]*$/.test(flags.type)) throw new InputError(`--type must be snake_case (e.g. code_analysis), got "${flags.type}"`);
      let input: Json | undefined;
      if (flags.input !== undefined) {
        try {
          input = JSON.parse(flags.input) as Json;
        } catch {
          throw new InputError(`--input is not valid JSON: ${flags.input}`);
        }
      }
      await withWeft(flags, async (weft) => {
        if (!flags.prompt && !weft.handlerTypes().includes(flags.type)) {
          throw new InputError(`no handler for task type "${flags.type}" (handlers: ${weft.handlerTypes().join(', ')}; config \`handlers:\` adds more); give --prompt to hand it to an agent`);
        }
        for (const id of flags.dependsOn ?? []) if (!(await weft.store.workflows.getWorkflowRun(id))) throw new InputError(`--depends-on: no task ${id}`);
        const def: WorkflowDef = {
          name: flags.name,
          steps: [
            ...(flags.dependsOn?.length ? [{ id: 'dependencies', wait: { runs: flags.dependsOn } }] : []),
            { id: 'task', name: flags.name, task: { type: flags.type, name: flags.name, ...(input !== undefined ? { input } : {}), ...(flags.prompt ? { prompt: flags.prompt } : {}), ...(flags.agent ? { agent: flags.agent } : {}) } },
          ],
        };
        const run = await weft.workflows.startDef(def, { trigger: { kind: 'task' } });
        process.stdout.write(`${run.id}\n`);
        if (flags.detach) return;
        await executeHere(weft, run.id, { quiet: flags.quiet ?? false }, false);
        const step = await weft.store.workflows.getStep(run.id, 'task');
        if (flags.json) printJson({ id: run.id, name: flags.name, type: flags.type, status: step?.status ?? 'pending', input: input ?? null, output: (step?.output as { output?: Json } | null)?.output ?? null, error: step?.error ?? null });
      });
    });

  task
    .command('list')
    .description('Tasks (task steps of every workflow run), newest first')
    .option('--status <status>', `only this status (${STEP_STATUSES.join(', ')}; completed = succeeded)`)
    .option('--db <db>', DB_HELP)
    .option('--json', 'JSON output (with input_data and output_data)')
    .action(async (flags: Omit<TaskFlags, 'name' | 'type'>) => {
      const status = flags.status === 'completed' ? 'succeeded' : flags.status;
      if (status !== undefined && !(STEP_STATUSES as readonly string[]).includes(status)) throw new InputError(`--status must be one of ${STEP_STATUSES.join(', ')}, got "${flags.status}"`);
      await withWeft(flags, async (weft) => {
        const steps = await weft.store.workflows.findSteps({ kind: 'task', ...(status ? { status: status as StepStatus } : {}), limit: 200 });
        const rows = await Promise.all(
          steps.map(async (s) => {
            const run = await weft.store.workflows.getWorkflowRun(s.runId);
            const out = s.output as { type?: string; input?: Json; output?: Json } | null;
            return { id: s.key === 'task' ? s.runId : `${s.runId}/${s.key}`, name: run?.name ?? s.stepId, type: out?.type ?? null, status: s.status, input_data: out?.input ?? null, output_data: out?.output ?? null, error: s.error };
          }),
        );
        if (flags.json) return printJson(rows);
        if (rows.length === 0) process.stdout.write('no tasks\n');
        for (const r of rows) process.stdout.write(`${r.id}  ${r.status.padEnd(9)} ${String(r.type ?? '').padEnd(16)} ${r.name}${r.error ? ` — ${r.error}` : ''}\n`);
      });
    });

  task
    .command('cancel')
    .description('Cancel a task (its workflow run)')
    .argument('<id>', 'task id')
    .option('--db <db>', DB_HELP)
    .action(async (id: string, flags: { db?: string }) => {
      await withWeft(flags, async (weft) => {
        await weft.workflows.cancel(id);
        process.stdout.write(`cancelling task ${id}\n`);
      });
    });
}
