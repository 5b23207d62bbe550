/**
 * The Redis-backed queue (BullMQ): `weft run --enqueue` adds one job per shard of a run, `weft worker`
 * processes on any number of machines take them. The store's claims keep each task to one engine, so
 * all shards of a run execute it together; BullMQ only decides which process helps with which run.
 */
import { redactUrl } from '../core/redact.js';
import { Queue, WaitingError, Worker, type Job } from 'bullmq';
import {
  runJobId,
  shardCount,
  type EnqueueOptions,
  type RunJob,
  type RunJobHandler,
  type RunQueue,
  type RunWorker,
  type RunWorkerEvent,
} from './run-queue.js';

/** The BullMQ queue name every weft process shares (within one key prefix). */
export const RUN_QUEUE_NAME = 'weft-runs';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_PREFIX = 'weft';

export interface BullmqOptions {
  /** redis:// or rediss:// URL (default: WEFT_REDIS_URL, else redis://127.0.0.1:6379). */
  redisUrl?: string;
  /** Redis key prefix, so several weft installations (or tests) can share one Redis. */
  prefix?: string;
}

export interface BullmqWorkerOptions extends BullmqOptions {
  /** Jobs (run shards) this process executes at once; default 1. */
  concurrency?: number;
  /** How long a crashed worker's job stays locked before another worker retries it (ms). */
  lockMs?: number;
  onEvent?: (event: RunWorkerEvent) => void;
}

/** Job attempts: a job fails only when its handler throws (the store is unreachable, say), not when tasks fail. */
const ATTEMPTS = 5;

/** The Redis URL from an explicit value, WEFT_REDIS_URL or the default. */
export function resolveRedisUrl(url?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = url ?? env.WEFT_REDIS_URL ?? DEFAULT_REDIS_URL;
  if (!/^rediss?:\/\//i.test(chosen)) throw new RangeError(`the Redis URL must start with redis:// or rediss://, got "${redactUrl(chosen)}"`);
  return chosen;
}

/** A URL with its password replaced, for messages and logs (the one implementation lives in core/redact.ts). */
export { redactUrl };

function connectionFor(options: BullmqOptions, forWorker: boolean) {
  // A worker's blocking connection must retry forever; a producer should fail fast when Redis is down.
  return { url: resolveRedisUrl(options.redisUrl), maxRetriesPerRequest: forWorker ? null : 1 };
}

/** The producer side: adds run jobs. */
export class BullmqRunQueue implements RunQueue {
  readonly queue: Queue<RunJob>;

  constructor(options: BullmqOptions = {}) {
    this.queue = new Queue<RunJob>(RUN_QUEUE_NAME, {
      connection: connectionFor(options, false),
      prefix: options.prefix ?? DEFAULT_PREFIX,
      defaultJobOptions: {
        attempts: ATTEMPTS,
        backoff: { type: 'exponential', delay: 5_000 },
        removeOnComplete: true,
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    });
  }

  /** Adds one job per shard; a shard whose job is still queued or running is not added again, a failed one is retried. */
  async enqueue(runId: string, opts?: EnqueueOptions): Promise<void> {
    const shards = shardCount(opts);
    for (let shard = 0; shard < shards; shard++) {
      const job: RunJob = { runId, shard };
      const jobId = runJobId(job);
      const existing = await this.queue.getJob(jobId);
      if (existing && (await existing.isFailed())) await existing.retry('failed');
      else if (!existing) await this.queue.add('run', job, { jobId });
    }
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

/** Creates the BullMQ producer. */
export function createBullmqQueue(options: BullmqOptions = {}): BullmqRunQueue {
  return new BullmqRunQueue(options);
}

/**
 * Starts a worker taking run jobs. `close()` aborts running handlers and puts their jobs back in the
 * waiting list at once (no attempt used), so another worker takes over; the engine's leases cover the rest.
 */
export function startBullmqWorker(handler: RunJobHandler, options: BullmqWorkerOptions = {}): RunWorker & { worker: Worker<RunJob> } {
  const emit = options.onEvent ?? (() => undefined);
  let closing = false;
  const processor = async (job: Job<RunJob>, token?: string, signal?: AbortSignal): Promise<void> => {
    const data: RunJob = { runId: job.data.runId, shard: job.data.shard };
    const jobId = job.id ?? runJobId(data);
    const started = Date.now();
    emit({ type: 'job.started', job: data, jobId, attempt: job.attemptsMade + 1 });
    const local = new AbortController();
    const onAbort = () => local.abort(signal?.reason ?? 'shutdown');
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    try {
      await handler(data, local.signal);
    } catch (err) {
      const willRetry = job.attemptsMade + 1 < (job.opts.attempts ?? 1);
      emit({ type: 'job.failed', job: data, jobId, ms: Date.now() - started, error: err instanceof Error ? err.message : String(err), willRetry });
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    if (local.signal.aborted || closing) {
      // Stopped before the run was over: hand the shard back instead of completing (and removing) it.
      await job.moveToWait(token);
      emit({ type: 'job.requeued', job: data, jobId, ms: Date.now() - started });
      throw new WaitingError();
    }
    emit({ type: 'job.finished', job: data, jobId, ms: Date.now() - started });
  };
  const lockMs = options.lockMs ?? 30_000;
  const worker = new Worker<RunJob>(RUN_QUEUE_NAME, processor, {
    connection: connectionFor(options, true),
    prefix: options.prefix ?? DEFAULT_PREFIX,
    concurrency: options.concurrency ?? 1,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    // A run can outlive several crashed workers; the job fails for good only after this many stalls.
    maxStalledCount: ATTEMPTS,
  });
  worker.on('error', (err) => emit({ type: 'error', error: err.message }));
  return {
    worker,
    async close() {
      closing = true;
      const done = worker.close();
      worker.cancelAllJobs('shutdown');
      await done;
    },
  };
}
