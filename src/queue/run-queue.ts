/** Dispatch of runs to whoever executes them: in this process (local) or on worker machines (BullMQ). */

/** One unit of queued work: one shard of a run. Every shard of a run executes the same run cooperatively. */
export interface RunJob {
  runId: string;
  /** 0-based; shard n of a run is queued at most once at a time. */
  shard: number;
}

/** Executes one job; resolves when this shard's engine has nothing left to do. */
export type RunJobHandler = (job: RunJob, signal: AbortSignal) => Promise<void>;

export interface EnqueueOptions {
  /** How many workers may help execute the run at once (one job each); default 1. */
  shards?: number;
}

/** Where runs are handed over for execution. */
export interface RunQueue {
  /** Queues a stored run; enqueueing a run whose shards are already queued adds nothing. */
  enqueue(runId: string, opts?: EnqueueOptions): Promise<void>;
  close(): Promise<void>;
}

/** A started consumer of run jobs. */
export interface RunWorker {
  /** Stops taking jobs; running jobs are aborted through their signal and handed back to the queue. */
  close(): Promise<void>;
}

/** Lifecycle notes a worker reports (the `weft worker` command logs them). */
export type RunWorkerEvent =
  | { type: 'job.started'; job: RunJob; jobId: string; attempt: number }
  | { type: 'job.finished'; job: RunJob; jobId: string; ms: number }
  | { type: 'job.requeued'; job: RunJob; jobId: string; ms: number }
  | { type: 'job.failed'; job: RunJob; jobId: string; ms: number; error: string; willRetry: boolean }
  | { type: 'error'; error: string };

/** The shard count from options, checked: a whole number >= 1. */
export function shardCount(opts: EnqueueOptions | undefined): number {
  const n = opts?.shards ?? 1;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`shards must be a whole number >= 1, got ${n}`);
  return n;
}

/** The queue-wide id of one shard of a run (BullMQ refuses custom ids containing ':'). */
export function runJobId(job: RunJob): string {
  return `${job.runId}-${job.shard}`;
}
