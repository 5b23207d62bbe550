/** Runs async jobs one at a time, in the order they were queued (a merge queue, a lock around worktree changes). */

/** A FIFO of async jobs where each job starts only after the previous one settled. */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #size = 0;

  /** Jobs queued or running; inside a job, 1 means no other job is waiting. */
  get size(): number {
    return this.#size;
  }

  /** Queues `job`; resolves or rejects with its result. A failed job does not stop the queue. */
  run<T>(job: () => Promise<T>): Promise<T> {
    this.#size++;
    const result = this.#tail.then(job, job).finally(() => this.#size--);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

const queues = new Map<string, SerialQueue>();

/** The process-wide queue for `key`, so every object working on one repository shares it. */
export function sharedQueue(key: string): SerialQueue {
  let q = queues.get(key);
  if (!q) {
    q = new SerialQueue();
    queues.set(key, q);
  }
  return q;
}
