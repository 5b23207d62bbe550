/** Runs async jobs one at a time, in the order they were queued (a merge queue, a lock around worktree changes). */

/** A FIFO of async jobs where each job starts only after the previous one settled. */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  /** Queues `job`; resolves or rejects with its result. A failed job does not stop the queue. */
  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(job, job);
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
