/** Retry delays: exponential backoff with jitter (cockatiel's generators), configurable base, max and multiplier. */
import { ExponentialBackoff, halfJitterGenerator, type IBackoff } from 'cockatiel';
import { RETRYABLE_CATEGORIES, type ErrorCategory } from '../store/records.js';

export interface RetrySettings {
  baseMs: number;
  maxMs: number;
  multiplier: number;
}

export const DEFAULT_RETRY: RetrySettings = { baseMs: 2000, maxMs: 60000, multiplier: 2 };

/** Delay before retry number `failures` (1 = after the first failure). */
export function retryDelayMs(settings: RetrySettings, failures: number): number {
  if (settings.baseMs <= 0) return 0;
  const factory = new ExponentialBackoff({
    initialDelay: settings.baseMs,
    maxDelay: settings.maxMs,
    exponent: settings.multiplier,
    generator: halfJitterGenerator,
  });
  let b: IBackoff<unknown> = factory.next();
  for (let i = 1; i < failures; i++) b = b.next(undefined);
  return Math.round(b.duration);
}

/** Whether a failure of this category may be retried (auth, quota and validation fail at once). */
export function isRetryable(category: ErrorCategory): boolean {
  return RETRYABLE_CATEGORIES.includes(category);
}
