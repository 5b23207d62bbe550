/** `weft run` and `weft resume`: execute a plan with agents, showing progress. */
import { Option, type Command } from 'commander';
import { InputError } from '../../core/errors.js';
import { computeFigures, describeCounts } from '../../core/run-figures.js';
import { EngineEvents } from '../../engine/events.js';
import type { Engine } from '../../engine/engine.js';
import { attachProgressView } from '../../engine/progress-view.js';
import { loadProgressSeed, loadRunStatus, resolveRunId } from '../../engine/run-status.js';
import { formatDuration } from '../../engine/run-report.js';
import type { Weft } from '../../weft.js';
import { loadPlan } from '../load-plan.js';
import { printJson } from '../output.js';
import { DB_HELP, withWeft } from '../with-weft.js';

interface RunFlags {
  structure?: string;
  repo?: string;
  base?: string;
  agent?: string;
  concurrency?: string;
  maxAttempts?: string;
  verify?: string;
  allowFailingBaseline?: boolean;
  timeout?: string;
  maxCost?: string;
  merge?: boolean;
  sandbox?: 'none' | 'bwrap';
  pr?: boolean;
  remote?: string;
  githubRepo?: string;
  db?: string;
  json?: boolean;
  quiet?: boolean;
  enqueue?: boolean;
  shards?: string;
  redis?: string;
  prefix?: string;
}

/** Registers `weft run` and `weft resume`. */
export function registerRunCommands(program: Command): void {
  program
    .command('run')
    .description('Plan REQUIREMENTS.md, store the run and execute it with coding agents')
    .argument('[file]', 'requirements document', 'REQUIREMENTS.md')
    .option('--structure <file>', 'STRUCTURE.md (interface-first planning)')
    .option('--repo <dir>', 'git repository the agents work in (each task in its own worktree)')
    .option('--base <branch>', 'base branch for the integration branch (default: the current branch)')
    .option('--agent <name|command>', 'simulate, example, claude, codex, aider, gemini, codegen, a configured agent, or any command line')
    .option('--concurrency <n>', 'attempts running at once')
    .option('--max-attempts <n>', 'attempts per task before it fails for good')
    .option('--verify <command>', 'quality gate run in the worktree after the agent (e.g. "npm test"); checked once on the base branch first')
    .option('--allow-failing-baseline', 'run although --verify already fails on the base branch; an attempt fails only for failures the base does not have')
    .option('--timeout <minutes>', 'time limit per attempt')
    .option('--max-cost <usd>', 'cost budget of the run in US dollars: once spent, no new attempt starts (config budget.maxCostUsd)')
    .option('--merge', 'merge the integration branch into the base branch when every task succeeded')
    .addOption(new Option('--sandbox <mode>', 'run every command agent under bubblewrap (bwrap) or not (none); default: config sandbox').choices(['none', 'bwrap']))
    .option('--pr', 'open a pull request per task (GITHUB_TOKEN; GITHUB_API_URL for GitHub Enterprise)')
    .option('--remote <name>', 'git remote that branches are pushed to (default: config git.remote, "origin")')
    .option('--github-repo <owner/name>', 'GitHub repository of the pull requests (default: read from the remote URL)')
    .option('--db <db>', DB_HELP)
    .option('--json', 'print the final status as JSON on stdout (progress stays on stderr)')
    .option('--quiet', 'no progress view')
    // --- queue: hand the run to `weft worker` processes instead of executing it here
    .option('--enqueue', 'store the run and queue it for `weft worker` processes (Redis); print its id and exit')
    .option('--shards <n>', 'with --enqueue: how many workers may execute the run at once (default 1)')
    .option('--redis <url>', 'with --enqueue: Redis URL of the run queue (env WEFT_REDIS_URL; default redis://127.0.0.1:6379)')
    .option('--prefix <prefix>', 'with --enqueue: Redis key prefix of the queue (as `weft worker --prefix`; default weft)')
    // --- end queue
    .action(async (file: string, flags: RunFlags) => {
      const shards = parseCount('shards', flags.shards);
      if (!flags.enqueue && (shards !== undefined || flags.redis !== undefined || flags.prefix !== undefined)) throw new InputError('--shards, --redis and --prefix go with --enqueue');
      const concurrency = parseCount('concurrency', flags.concurrency);
      const maxAttempts = parseCount('max-attempts', flags.maxAttempts);
      const timeoutMinutes = flags.timeout !== undefined ? parsePositive('timeout', flags.timeout) : undefined;
      const maxCostUsd = parseMaxCost(flags.maxCost);
      const plan = await loadPlan(file, flags.structure ? { structure: flags.structure } : {});
      await withWeft(flags, async (weft) => {
        // --- queue
        if (flags.enqueue && weft.store.dialect !== 'postgres') throw new InputError('--enqueue needs a shared Postgres store that workers can reach: pass --db postgres://… or set WEFT_DB');
        // --- end queue
        const run = await weft.createRun(plan, {
          ...(flags.agent ? { agent: flags.agent } : {}),
          ...(concurrency ? { concurrency } : {}),
          ...(maxAttempts ? { maxAttempts } : {}),
          ...(flags.repo ? { repo: flags.repo } : {}),
          ...(flags.base ? { baseBranch: flags.base } : {}),
          ...(flags.verify ? { verify: flags.verify } : {}),
          allowFailingBaseline: flags.allowFailingBaseline ?? false,
          onProgress: (message: string) => process.stderr.write(`weft: ${message}\n`),
          ...(timeoutMinutes ? { timeoutMinutes } : {}),
          ...(maxCostUsd !== undefined ? { maxCostUsd } : {}),
          merge: flags.merge ?? false,
          ...(flags.sandbox ? { sandbox: flags.sandbox } : {}),
          pr: { enabled: flags.pr ?? false, remote: flags.remote ?? null, githubRepo: flags.githubRepo ?? null },
        });
        process.stderr.write(`weft: run ${run.id} · ${describeCount(plan)} · agent ${run.agent} · concurrency ${run.concurrency}\n`);
        // --- queue
        if (flags.enqueue) return enqueueRun(run.id, shards ?? 1, flags);
        // --- end queue
        await executeWithProgress(weft, run.id, flags, false);
      });
    });

  program
    .command('resume')
    .description('Continue an unfinished run (default: the latest); work cut short by a crash is picked up again')
    .argument('[run-id]', 'run to resume (default: the latest)')
    .option('--db <db>', DB_HELP)
    .option('--json', 'print the final status as JSON on stdout')
    .option('--quiet', 'no progress view')
    .option('--max-cost <usd>', "a new cost budget for the run in US dollars (default: the run's own)")
    .action(async (runId: string | undefined, flags: RunFlags) => {
      await withWeft(flags, async (weft) => {
        const id = await resolveRunId(weft.store, runId);
        process.stderr.write(`weft: resuming run ${id}\n`);
        await executeWithProgress(weft, id, flags, true);
      });
    });
}

/** Executes a stored run with the progress view, Ctrl-C handling and `--json`; sets the exit code. */
export async function executeWithProgress(weft: Weft, runId: string, flags: { json?: boolean; quiet?: boolean; maxCost?: string }, resumed: boolean): Promise<void> {
  const events = new EngineEvents();
  const seed = await loadProgressSeed(weft.store, runId);
  const view = flags.quiet ? null : attachProgressView(events, seed.tasks.length, seed);
  const stopView = () => view?.();
  let engine: Engine | undefined;
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    // Through the view, so its next redraw does not wipe the hint.
    const hint = 'weft: stopping; running attempts are interrupted (resume with `weft resume`)';
    if (view) view.note(`\n${hint}`);
    else process.stderr.write(`\n${hint}\n`);
    engine?.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const maxCostUsd = parseMaxCost(flags.maxCost);
    const outcome = await weft.executeRun(runId, { events, resumed, onEngine: (e) => (engine = e), ...(maxCostUsd !== undefined ? { maxCostUsd } : {}) });
    stopView();
    const summary = describeCounts(computeFigures(await weft.store.listTasks(runId)).counts).replaceAll(' · ', ', ');
    const took = outcome.run.startedAt && outcome.run.finishedAt ? ` in ${formatDuration(outcome.run.finishedAt - outcome.run.startedAt)}` : '';
    process.stderr.write(`weft: run ${runId} ${interrupted ? 'interrupted' : outcome.run.status}${took} (${summary})\n`);
    if (!interrupted && outcome.run.reason === 'budget' && outcome.run.error) process.stderr.write(`weft: ${outcome.run.error}\n`);
    if (!interrupted) process.stderr.write(`weft: report: weft report ${runId}\n`);
    if (flags.json) printJson(await loadRunStatus(weft.store, runId));
    process.exitCode = interrupted ? 130 : outcome.run.status === 'succeeded' ? 0 : 1;
  } finally {
    stopView();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Queues a stored run for `weft worker` processes and prints its id on stdout. */
async function enqueueRun(runId: string, shards: number, flags: RunFlags): Promise<void> {
  const { createBullmqQueue, redactUrl, resolveRedisUrl } = await import('../../queue/bullmq-queue.js');
  let redisUrl: string;
  try {
    redisUrl = resolveRedisUrl(flags.redis);
  } catch (err) {
    throw new InputError((err as Error).message);
  }
  const queue = createBullmqQueue({ redisUrl, ...(flags.prefix ? { prefix: flags.prefix } : {}) });
  try {
    await queue.enqueue(runId, { shards });
  } finally {
    await queue.close();
  }
  process.stderr.write(`weft: queued run ${runId} (${shards} shard${shards === 1 ? '' : 's'}) on ${redactUrl(redisUrl)}; follow it with \`weft status ${runId}\`\n`);
  process.stdout.write(`${runId}\n`);
}

/** `7 tasks (1 already done)` for the run's header line. */
export function describeCount(plan: { tasks: { status: string }[] }): string {
  const done = plan.tasks.filter((t) => t.status === 'done').length;
  const open = plan.tasks.length - done;
  return `${open} task${open === 1 ? '' : 's'}${done ? ` (${done} already done)` : ''}`;
}

/** A whole-number flag >= 1, or undefined when absent. */
export function parseCount(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InputError(`--${name} must be a whole number >= 1, got "${v}"`);
  return n;
}

/** `--max-cost USD`: a number of dollars >= 0 (`$` allowed), or undefined when absent. */
export function parseMaxCost(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v.trim().replace(/^\$/, ''));
  if (!v.trim() || !Number.isFinite(n) || n < 0) throw new InputError(`--max-cost must be a number of US dollars >= 0, got "${v}"`);
  return n;
}

function parsePositive(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InputError(`--${name} must be a positive number, got "${v}"`);
  return n;
}
