/** `weft worker`: a long-running process that takes run jobs from the Redis queue and executes them against the shared store. */
import type { Command } from 'commander';
import { InfrastructureError, InputError } from '../../core/errors.js';
import { isTransientDbError } from '../../store/transient-error.js';
import type { RunJobHandler, RunWorkerEvent } from '../../queue/run-queue.js';
import type { Weft } from '../../weft.js';
import { positiveInt } from './cli-args.js';
import { DB_HELP } from '../with-weft.js';

interface WorkerFlags {
  redis?: string;
  db?: string;
  concurrency?: number;
  prefix?: string;
}

/** The help text of `--redis`, shared with `weft run --enqueue`. */
export const REDIS_HELP = 'Redis URL of the run queue (env WEFT_REDIS_URL; default redis://127.0.0.1:6379)';

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/** Refuses a store other processes cannot share: workers on several machines need one Postgres database. */
export function assertSharedDb(spec: string): void {
  if (!POSTGRES_URL.test(spec)) {
    throw new InputError(
      `weft worker needs a shared Postgres store, but the database is "${spec}" (SQLite is local to one machine); pass --db postgres://… or set WEFT_DB`,
      { db: spec },
    );
  }
}

/** Longest pause between restarts of an engine the database stopped (ms). */
const MAX_RESTART_DELAY_MS = 30_000;

/**
 * The job handler of a worker: executes the job's run with this weft; an abort stops the engine (leases
 * are reclaimed by others). A database outage never fails the job (BullMQ would give up on it after its
 * few retries and orphan the run): the engine is restarted, with backoff, until it finishes or the worker stops.
 */
export function runJobHandler(weft: Weft, log: (line: string) => void = () => undefined, opts: { restartDelayMs?: number } = {}): RunJobHandler {
  return async (job, signal) => {
    const { EngineEvents } = await import('../../engine/events.js');
    const { formatDuration } = await import('../../engine/run-report.js');
    const { sleep } = await import('../../engine/simulate-agent.js');
    const started = Date.now();
    log(`run ${job.runId} shard ${job.shard}: started`);
    // A workflow run (`weft workflow execute --enqueue`): its executor works beside any other worker's.
    if (job.runId.startsWith('wf-')) {
      const run = await weft.workflows.execute(job.runId, { resumed: true, signal });
      log(`workflow run ${job.runId}: ${signal.aborted ? 'stopped' : run.status} after ${formatDuration(Date.now() - started)}`);
      return;
    }
    let outcome: Awaited<ReturnType<Weft['executeRun']>> | undefined;
    for (let restarts = 0; !outcome; restarts++) {
      try {
        outcome = await weft.executeRun(job.runId, {
          events: new EngineEvents(),
          resumed: true,
          onEngine: (engine) => {
            if (signal.aborted) engine.stop();
            else signal.addEventListener('abort', () => engine.stop(), { once: true });
          },
        });
      } catch (err) {
        if (!isOutage(err) || signal.aborted) throw err;
        const delay = Math.min(MAX_RESTART_DELAY_MS, (opts.restartDelayMs ?? 1000) * 2 ** Math.min(restarts, 5));
        log(`run ${job.runId} shard ${job.shard}: ${(err as Error).message}; restarting its engine in ${Math.round(delay / 1000)}s`);
        await sleep(delay, signal).catch(() => undefined);
        if (signal.aborted) return;
      }
    }
    const counts = Object.entries(outcome.counts).map(([k, v]) => `${v} ${k}`).join(', ');
    const state = signal.aborted ? 'stopped' : `run ${outcome.run.status}`;
    log(`run ${job.runId} shard ${job.shard}: ${state} after ${formatDuration(Date.now() - started)} (${counts})`);
  };
}

function isOutage(err: unknown): boolean {
  return err instanceof InfrastructureError || isTransientDbError(err);
}

/** Registers `weft worker`. */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('Take runs from the Redis queue (`weft run --enqueue`) and execute them; start one on each machine')
    .option('--redis <url>', REDIS_HELP)
    .option('--db <db>', `${DB_HELP}; must be postgres:// so that workers share it`)
    .option('--concurrency <n>', 'run jobs (shards) this process executes at once', positiveInt, 1)
    .option('--prefix <prefix>', 'Redis key prefix of the queue', 'weft')
    .action(async (flags: WorkerFlags) => {
      const log = (line: string) => process.stderr.write(`weft worker: ${line}\n`);
      const { loadConfig } = await import('../../config/load-config.js');
      const { config } = await loadConfig();
      const { resolveDbSpec } = await import('../../store/open-store.js');
      const spec = resolveDbSpec(flags.db, process.env, config.db);
      assertSharedDb(spec);
      const { redactUrl, resolveRedisUrl, startBullmqWorker } = await import('../../queue/bullmq-queue.js');
      let redisUrl: string;
      try {
        redisUrl = resolveRedisUrl(flags.redis);
      } catch (err) {
        throw new InputError((err as Error).message);
      }
      const { openWeft } = await import('../../weft.js');
      const weft = await openWeft({
        db: spec,
        onDatabaseOutage: (e) => log(e.state === 'waiting' ? `database unreachable (${e.error}): waiting for it` : 'database reachable again'),
      });
      try {
        let lastError = '';
        const onEvent = (e: RunWorkerEvent) => {
          if (e.type === 'job.requeued') log(`run ${e.job.runId} shard ${e.job.shard}: handed back to the queue`);
          else if (e.type === 'job.failed') log(`run ${e.job.runId} shard ${e.job.shard}: error: ${e.error}${e.willRetry ? ' (will retry)' : ''}`);
          else if (e.type === 'error' && e.error !== lastError) log(`queue error: ${(lastError = e.error)}`);
        };
        const worker = startBullmqWorker(runJobHandler(weft, log), {
          redisUrl,
          prefix: flags.prefix ?? 'weft',
          concurrency: flags.concurrency ?? 1,
          onEvent,
        });
        // Cron triggers of stored workflows fire here too (one run per tick across every serve and worker).
        const { WorkflowBackground } = await import('../../workflow/background.js');
        const { startScheduler } = await import('../../workflow/scheduler.js');
        const scheduled = new WorkflowBackground(weft.workflows, (err, id) => log(`workflow run ${id}: ${(err as Error).message}`));
        const stopScheduler = startScheduler(weft.workflows, { onRun: (id) => (log(`workflow run ${id}: started by its schedule`), scheduled.start(id)), onError: (err) => log(`schedules: ${(err as Error).message}`) });
        let stopping: Promise<void> | undefined;
        const stop = () => {
          if (stopping) {
            log('second signal: exiting now');
            process.exit(130);
          }
          log('stopping: running engines stop, their jobs go back to the queue');
          stopScheduler();
          stopping = Promise.all([worker.close(), scheduled.stopAll()]).then(() => undefined);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        try {
          await worker.worker.waitUntilReady();
          log(`waiting for runs · queue ${redactUrl(redisUrl)} prefix ${flags.prefix ?? 'weft'} · db ${weft.store.dialect} · concurrency ${flags.concurrency ?? 1}`);
          await new Promise<void>((resolve) => worker.worker.once('closed', () => resolve()));
          await stopping;
          log('stopped');
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        }
      } finally {
        await weft.close();
      }
    });
}
