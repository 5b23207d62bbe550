/** The in-process queue: enqueue starts the run's shards right away in this process (the single-process default). */
import { runJobId, shardCount, type EnqueueOptions, type RunJob, type RunJobHandler, type RunQueue } from './run-queue.js';

export interface LocalQueueOptions {
  /** Called with a handler's error; default: rethrown from `drain()`/`close()`. */
  onError?: (err: unknown, job: RunJob) => void;
}

/** A RunQueue that executes jobs in this process; `drain()` waits for all of them. */
export class LocalQueue implements RunQueue {
  readonly #handler: RunJobHandler;
  readonly #onError: ((err: unknown, job: RunJob) => void) | undefined;
  readonly #running = new Map<string, Promise<void>>();
  readonly #abort = new AbortController();
  readonly #errors: unknown[] = [];
  #closed = false;

  constructor(handler: RunJobHandler, options: LocalQueueOptions = {}) {
    this.#handler = handler;
    this.#onError = options.onError;
  }

  /** Starts each shard not already running; returns once they have started. */
  async enqueue(runId: string, opts?: EnqueueOptions): Promise<void> {
    if (this.#closed) throw new Error('queue is closed');
    const shards = shardCount(opts);
    for (let shard = 0; shard < shards; shard++) {
      const job = { runId, shard };
      const id = runJobId(job);
      if (this.#running.has(id)) continue;
      const p = Promise.resolve()
        .then(() => this.#handler(job, this.#abort.signal))
        .catch((err: unknown) => (this.#onError ? this.#onError(err, job) : void this.#errors.push(err)))
        .finally(() => this.#running.delete(id));
      this.#running.set(id, p);
    }
  }

  /** Waits until every started job has finished; rethrows the first handler error when no onError was given. */
  async drain(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running.values()]);
    const [first] = this.#errors.splice(0);
    if (first !== undefined) throw first;
  }

  /** Refuses new jobs, aborts running ones and waits for them. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#abort.abort('shutdown');
    await this.drain();
  }
}

/** Creates the in-process queue. */
export function createLocalQueue(handler: RunJobHandler, options: LocalQueueOptions = {}): LocalQueue {
  return new LocalQueue(handler, options);
}
