/** A run's spending against its budget (`--max-cost`): the store's total, plus what this engine saw since it last looked. */
import { formatCost } from '../core/usage.js';
import type { Store } from '../store/store.js';

/** Other engines on the same run (shared Postgres) spend too: re-read the store's total at most this often. */
const REFRESH_MS = 1000;

/** Tracks a run's cost in US dollars against a maximum. */
export class BudgetMeter {
  #stored = 0;
  #local = 0;
  #readAt = -Infinity;

  constructor(
    private readonly store: Store,
    private readonly runId: string,
    /** The budget in US dollars. */
    readonly max: number,
  ) {}

  /** Counts an attempt's cost seen by this engine (before the store is read again). */
  add(costUsd: number | undefined): void {
    if (typeof costUsd === 'number' && Number.isFinite(costUsd) && costUsd > 0) this.#local += costUsd;
  }

  /** What the run has spent so far, as far as is known. */
  async total(): Promise<number> {
    const now = Date.now();
    if (now - this.#readAt >= REFRESH_MS) {
      this.#stored = (await this.store.usageTotals(this.runId)).costUsd;
      this.#local = 0;
      this.#readAt = now;
    }
    return Math.round((this.#stored + this.#local) * 1e6) / 1e6;
  }

  /** True when the run has spent its budget. */
  async spent(): Promise<boolean> {
    return (await this.total()) >= this.max;
  }

  /** The run's error text when the budget ended it. */
  async describe(notStarted: number): Promise<string> {
    this.#readAt = -Infinity;
    const spent = await this.total();
    return `budget: the run spent ${formatCost(spent)} of its ${formatCost(this.max)} budget (--max-cost); ${notStarted} task${notStarted === 1 ? '' : 's'} not started (weft resume --max-cost USD continues)`;
  }
}
