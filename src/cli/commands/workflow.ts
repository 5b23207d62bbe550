/** `weft workflow …` (seed 004): create, list, execute, resume, status, cancel and approve workflows. */
import { readFile } from 'node:fs/promises';
import type { EventEmitter } from 'node:events';
import type { Command } from 'commander';
import type { EngineEventMap } from '../../engine/events.js';
import { InputError } from '../../core/errors.js';
import type { Json } from '../../store/records.js';
import type { StepRecord, WorkflowRunRecord } from '../../store/workflow-records.js';
import type { Weft } from '../../weft.js';
import { printJson } from '../output.js';
import { runJson } from '../../workflow/run-json.js';
import { DB_HELP, withWeft } from '../with-weft.js';

interface Flags {
  db?: string;
  json?: boolean;
  quiet?: boolean;
  input?: string[];
  detach?: boolean;
  enqueue?: boolean;
  redis?: string;
  prefix?: string;
  repo?: string;
}

const collect = (v: string, acc: string[] = []) => [...acc, v];

/** `--input k=v` pairs; a value that parses as JSON is taken as JSON (numbers, lists), otherwise as text. */
export function parseInputs(pairs: string[] = []): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new InputError(`--input takes key=value, got "${p}"`);
    const raw = p.slice(eq + 1);
    let v: Json = raw;
    if (/^[[{]/.test(raw.trim())) {
      try {
        v = JSON.parse(raw) as Json;
      } catch {
        throw new InputError(`--input ${p.slice(0, eq)}: not valid JSON: ${raw}`);
      }
    }
    out[p.slice(0, eq)] = v;
  }
  return out;
}

/** Registers `weft workflow`. */
export function registerWorkflowCommands(program: Command): void {
  const wf = program.command('workflow').description('Workflows (seed 004): YAML steps with conditions, parallel groups, loops, waits and approvals');

  wf.command('create')
    .description('Validate a workflow file and store it (same name = new version)')
    .requiredOption('--file <file>', 'workflow YAML')
    .option('--db <db>', DB_HELP)
    .option('--json', 'print the stored workflow as JSON')
    .action(async (flags: Flags & { file: string }) => {
      const source = await readFile(flags.file, 'utf8').catch(() => {
        throw new InputError(`cannot read workflow file ${flags.file}`);
      });
      await withWeft(flags, async (weft) => {
        const w = await weft.workflows.create(source, flags.file);
        if (flags.json) printJson(w);
        else process.stdout.write(`${w.id}\n`);
        process.stderr.write(`weft: stored workflow ${w.id} (${w.name}); run it with \`weft workflow execute ${w.id}\`\n`);
      });
    });

  wf.command('list')
    .description('Stored workflows and their latest run')
    .option('--db <db>', DB_HELP)
    .option('--json', 'JSON output')
    .action(async (flags: Flags) => {
      await withWeft(flags, async (weft) => {
        const list = await weft.workflows.list();
        const runs = await weft.store.workflows.listWorkflowRuns({ limit: 500 });
        if (flags.json) return printJson(list.map((w) => ({ id: w.id, name: w.name, description: w.description, file: w.file, updatedAt: new Date(w.updatedAt).toISOString(), latestRun: runs.find((r) => r.workflowId === w.id)?.id ?? null })));
        if (list.length === 0) process.stdout.write('no workflows (store one with `weft workflow create --file F`)\n');
        for (const w of list) {
          const last = runs.find((r) => r.workflowId === w.id);
          process.stdout.write(`${w.id.padEnd(24)} ${w.name}${last ? `  · last run ${last.id} ${last.status}` : ''}\n`);
        }
      });
    });

  wf.command('execute')
    .description('Start a run of a stored workflow, a workflow file or a template, and execute it here')
    .argument('<workflow>', 'workflow id, .yaml file, or template (feature, bugfix, deploy, code-review)')
    .option('--input <key=value>', 'an input (repeatable; JSON values allowed)', collect)
    .option('--repo <dir>', 'repository that run steps get a worktree of (default: the current directory)')
    .option('--detach', 'only store the run and print its id (`weft workflow resume` executes it)')
    .option('--enqueue', 'store the run and queue it for `weft worker` processes (Redis, shared Postgres); print its id')
    .option('--redis <url>', 'with --enqueue: Redis URL (env WEFT_REDIS_URL)')
    .option('--prefix <prefix>', 'with --enqueue: Redis key prefix (default weft)')
    .option('--db <db>', DB_HELP)
    .option('--json', 'print the final status as JSON on stdout')
    .option('--quiet', 'no progress lines')
    .action(async (ref: string, flags: Flags) => {
      const inputs = parseInputs(flags.input);
      await withWeft(flags, async (weft) => {
        const run = await weft.workflows.start(ref, { inputs, ...(flags.repo ? { repo: flags.repo } : {}) });
        process.stderr.write(`weft: workflow run ${run.id} (${run.name})\n`);
        if (flags.enqueue) {
          if (weft.store.dialect !== 'postgres') throw new InputError('--enqueue needs a shared Postgres store that workers can reach: pass --db postgres://… or set WEFT_DB');
          const { createBullmqQueue, resolveRedisUrl } = await import('../../queue/bullmq-queue.js');
          const queue = createBullmqQueue({ redisUrl: resolveRedisUrl(flags.redis), ...(flags.prefix ? { prefix: flags.prefix } : {}) });
          try {
            await queue.enqueue(run.id);
          } finally {
            await queue.close();
          }
        }
        if (flags.detach || flags.enqueue) {
          process.stdout.write(`${run.id}\n`);
          return;
        }
        await executeHere(weft, run.id, flags, false);
      });
    });

  wf.command('resume')
    .description('Continue an unfinished workflow run (after a crash or Ctrl-C); finished steps are not run again')
    .argument('<run>', 'workflow run id')
    .option('--db <db>', DB_HELP)
    .option('--json', 'print the final status as JSON on stdout')
    .option('--quiet', 'no progress lines')
    .action(async (runId: string, flags: Flags) => {
      await withWeft(flags, async (weft) => {
        await weft.workflows.status(runId);
        process.stderr.write(`weft: resuming workflow run ${runId}\n`);
        await executeHere(weft, runId, flags, true);
      });
    });

  wf.command('status')
    .description('A workflow run and its steps (default: the latest run)')
    .argument('[run]', 'workflow run id')
    .option('--db <db>', DB_HELP)
    .option('--json', 'JSON output')
    .action(async (runId: string | undefined, flags: Flags) => {
      await withWeft(flags, async (weft) => {
        const id = runId ?? (await weft.store.workflows.listWorkflowRuns({ limit: 1 }))[0]?.id;
        if (!id) throw new InputError('no workflow runs yet (start one with `weft workflow execute`)');
        const { run, steps } = await weft.workflows.status(id);
        if (flags.json) return printJson(runJson(run, steps));
        process.stdout.write(formatRun(run, steps));
      });
    });

  wf.command('runs')
    .description('Recent workflow runs')
    .option('--db <db>', DB_HELP)
    .option('--json', 'JSON output')
    .action(async (flags: Flags) => {
      await withWeft(flags, async (weft) => {
        const runs = await weft.store.workflows.listWorkflowRuns({ limit: 50 });
        if (flags.json) return printJson(runs.map((r) => runJson(r, null)));
        for (const r of runs) process.stdout.write(`${r.id}  ${r.status.padEnd(9)} ${r.name}  ${new Date(r.createdAt).toISOString()}\n`);
      });
    });

  wf.command('cancel')
    .description('Cancel a workflow run: waiting steps end now, running ones at their next heartbeat')
    .argument('<run>', 'workflow run id')
    .option('--db <db>', DB_HELP)
    .action(async (runId: string, flags: Flags) => {
      await withWeft(flags, async (weft) => {
        await weft.workflows.cancel(runId);
        process.stdout.write(`cancelling workflow run ${runId}\n`);
      });
    });

  wf.command('approve')
    .description('Approve (or --reject) a step waiting for approval')
    .argument('<run>', 'workflow run id')
    .argument('<step>', 'step id (or instance key such as each/#2/ok)')
    .option('--reject', 'reject instead: the step fails')
    .option('--comment <text>', 'note kept in the step output')
    .option('--by <name>', 'who approves (default: $USER)')
    .option('--db <db>', DB_HELP)
    .action(async (runId: string, step: string, flags: Flags & { reject?: boolean; comment?: string; by?: string }) => {
      await withWeft(flags, async (weft) => {
        const s = await weft.workflows.approve(runId, step, { approved: !flags.reject, by: flags.by ?? process.env.USER ?? 'cli', ...(flags.comment ? { comment: flags.comment } : {}) });
        process.stdout.write(`${flags.reject ? 'rejected' : 'approved'} ${s.key} of workflow run ${runId}\n`);
      });
    });
}

/** Executes a workflow run in this process with progress lines on stderr; exit code 0 only when it succeeded. */
export async function executeHere(weft: Weft, runId: string, flags: Flags, resumed: boolean): Promise<void> {
  const ev = weft.workflowEvents;
  const off: (() => void)[] = [];
  if (!flags.quiet) {
    const line = (s: string) => process.stderr.write(`weft: ${s}\n`);
    const on = <K extends 'step.started' | 'step.finished' | 'step.waiting' | 'step.retry'>(name: K, f: (e: EngineEventMap[K]) => void) => {
      const listener = f as (e: unknown) => void;
      (ev as unknown as EventEmitter).on(name, listener);
      off.push(() => (ev as unknown as EventEmitter).off(name, listener));
    };
    on('step.started', (e) => line(`▶ ${e.taskId} (${e.kind})${e.attempt > 1 ? ` attempt ${e.attempt}` : ''}`));
    on('step.finished', (e) => line(`${e.status === 'succeeded' ? '✓' : e.status === 'skipped' ? '-' : '✗'} ${e.taskId} ${e.status}${e.error ? `: ${e.error}` : ''}`));
    on('step.waiting', (e) => line(`⏸ ${e.taskId} waits for ${e.reason}${e.reason === 'approval' ? ` (weft workflow approve ${runId} ${e.stepId})` : ''}`));
    on('step.retry', (e) => line(`↻ ${e.taskId} retry in ${Math.round(e.delayMs / 1000)}s (${e.category}: ${e.message})`));
  }
  const stop = new AbortController();
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(`\nweft: stopping; resume with \`weft workflow resume ${runId}\`\n`);
    stop.abort('shutdown');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const run = await weft.workflows.execute(runId, { resumed, signal: stop.signal });
    const steps = await weft.store.workflows.listSteps(runId);
    process.stderr.write(`weft: workflow run ${runId} ${interrupted ? 'interrupted' : run.status}${run.error && run.status !== 'succeeded' ? `: ${run.error}` : ''}\n`);
    if (flags.json) printJson(runJson(run, steps));
    process.exitCode = interrupted ? 130 : run.status === 'succeeded' ? 0 : 1;
  } finally {
    for (const f of off) f();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

const ICON: Record<string, string> = { pending: '·', running: '▶', waiting: '⏸', succeeded: '✓', failed: '✗', skipped: '-', cancelled: '⊘' };

/** The step tree as text. */
export function formatRun(run: WorkflowRunRecord, steps: StepRecord[]): string {
  const lines = [`workflow run ${run.id} · ${run.name} · ${run.status}${run.error && run.status !== 'succeeded' ? ` · ${run.error}` : ''}`];
  const children = new Map<string | null, StepRecord[]>();
  for (const s of steps) children.set(s.parentKey, [...(children.get(s.parentKey) ?? []), s]);
  const walk = (parent: string | null, depth: number) => {
    for (const s of children.get(parent) ?? []) {
      const label = s.kind === 'iteration' ? s.key.slice(s.key.lastIndexOf('/') + 1) : s.stepId;
      const extra = s.status === 'waiting' ? (s.state.approval !== undefined ? ` — waiting for approval: weft workflow approve ${run.id} ${s.stepId}` : ` — waiting for ${String(s.state.event)}`) : s.error ? ` — ${s.error}` : '';
      lines.push(`${'  '.repeat(depth + 1)}${ICON[s.status] ?? '?'} ${label} (${s.kind}) ${s.status}${s.attempts > 1 ? ` ×${s.attempts}` : ''}${extra}`);
      walk(s.key, depth + 1);
    }
  };
  walk(null, 0);
  return `${lines.join('\n')}\n`;
}
