/** Holds back every request of one backend: after a 429 until its Retry-After, and to a rolling-window start rate. */
import { abortedError } from './run-process.js';

/** A shared gate in front of one remote service. */
export class RateGate {
  #until = 0;
  #starts: number[] = [];

  /** At most `limit` starts per `windowMs` (Codegen documents 10 agent runs a minute). */
  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Blocks every request through this gate until `untilMs` (epoch ms); a later hold wins. */
  holdUntil(untilMs: number): void {
    this.#until = Math.max(this.#until, untilMs);
  }

  /** Epoch ms until which requests are held back (0 when open). */
  get heldUntil(): number {
    return this.#until;
  }

  /** Resolves once no hold is in force. */
  async pass(signal: AbortSignal): Promise<void> {
    while (Date.now() < this.#until) await delay(this.#until - Date.now(), signal);
  }

  /** Resolves when a new start fits in the window, and books it (check and booking happen without an await between). */
  async reserveStart(signal: AbortSignal): Promise<void> {
    for (;;) {
      await this.pass(signal);
      const now = Date.now();
      this.#starts = this.#starts.filter((t) => t > now - this.windowMs);
      if (this.#starts.length < this.limit) {
        this.#starts.push(now);
        return;
      }
      await delay(this.#starts[0]! + this.windowMs - now, signal);
    }
  }
}

const gates = new Map<string, RateGate>();

/** The process-wide gate for `key` (e.g. base URL + organization), so every backend object for one account shares it. */
export function sharedGate(key: string, limit: number, windowMs: number): RateGate {
  let gate = gates.get(key);
  if (!gate || gate.limit !== limit || gate.windowMs !== windowMs) {
    gate = new RateGate(limit, windowMs);
    gates.set(key, gate);
  }
  return gate;
}

/** Waits `ms`, or rejects with the cancelled/timeout AgentError when the signal aborts. */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortedError(signal));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
