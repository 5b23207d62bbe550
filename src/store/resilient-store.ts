/**
 * A Store that waits out database outages: a call failing with a transient error (connection reset,
 * 57P01 admin shutdown, serialization failure, deadlock) runs again with exponential backoff on a fresh
 * connection, for up to `outageMs`; then it fails with InfrastructureError('database') (exit code 3).
 *
 * Why retrying a whole call is safe: reads are; writes are single transactions, so a failed one
 * changed nothing. The one ambiguous case, a COMMIT whose reply was lost, is covered by the fencing
 * tokens: a repeated completeAttempt finds its token spent (ConflictError, discarded), a repeated
 * claimNext leaves an orphan claim whose lease expires and is reclaimed.
 */
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { InfrastructureError } from '../core/errors.js';
import type { Store } from './store.js';
import { isTransientDbError } from './transient-error.js';

export interface ResilienceOptions {
  /** How long one call keeps retrying before the outage counts as an infrastructure failure; default 10 minutes. */
  outageMs?: number;
  /** First and longest pause between tries (ms); default 100 and 5000. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** The clock deadlines are measured with (tests inject one). */
  now?: () => number;
  /** Told once per outage that a call is waiting, and when it got through again. */
  onOutage?: (event: { state: 'waiting' | 'recovered'; method: string; error: string }) => void;
}

/** Default time a store call waits for the database to come back. */
export const DEFAULT_OUTAGE_MS = 10 * 60_000;

/** Methods that must not be retried: closing, and migrate's own locking handles restarts. */
const PASS_THROUGH = new Set<string | symbol>(['close', 'dialect']);

/** Wraps every method of `store` in the retry policy described above. */
export function resilientStore<S extends Store>(store: S, opts: ResilienceOptions = {}): S {
  const outageMs = opts.outageMs ?? DEFAULT_OUTAGE_MS;
  const now = opts.now ?? Date.now;
  const backoff = new ExponentialBackoff({ initialDelay: opts.initialDelayMs ?? 100, maxDelay: opts.maxDelayMs ?? 5_000 });
  let waiting = 0;
  const call = async (method: string, fn: () => Promise<unknown>): Promise<unknown> => {
    try {
      return await fn();
    } catch (first) {
      if (!isTransientDbError(first)) throw first;
      const deadline = now() + outageMs;
      let last: unknown = first;
      if (waiting++ === 0) opts.onOutage?.({ state: 'waiting', method, error: String((first as Error).message) });
      const policy = retry(
        handleWhen((err) => isTransientDbError(err) && now() < deadline),
        { maxAttempts: Number.MAX_SAFE_INTEGER, backoff },
      );
      let recovered = false;
      try {
        const result = await policy.execute(async () => {
          try {
            return await fn();
          } catch (err) {
            last = err;
            throw err;
          }
        });
        recovered = true;
        return result;
      } catch (err) {
        if (!isTransientDbError(err)) throw err;
        throw new InfrastructureError('database', `${(last as Error).message} (still failing after ${Math.round(outageMs / 1000)}s of retries)`, { method });
      } finally {
        if (--waiting === 0 && recovered) opts.onOutage?.({ state: 'recovered', method, error: '' });
      }
    }
  };
  return new Proxy(store, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function' || PASS_THROUGH.has(key)) return typeof value === 'function' ? value.bind(target) : value;
      return (...args: unknown[]) => call(String(key), () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
    },
  });
}
