/**
 * The analyzed plan of a run (phases, critical path), rebuilt from its stored tasks once and then
 * kept: a task detail needs only its task's `critical` flag, and rebuilding a 10,000-task plan per
 * request made `GET /api/v1/tasks/:id` take 400 ms. A run's plan changes only when a task's spec is
 * edited or a task is added, both mutating API calls, which clear the cache (an edit made through
 * another server process shows here after this server's next mutating call).
 */
import type { Plan } from '../core/task.js';
import type { RunRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { planOfRun } from './task-detail.js';

export class RunPlanCache {
  readonly #entries = new Map<string, Promise<{ plan: Plan; critical: ReadonlySet<string> }>>();

  constructor(
    private readonly store: Store,
    private readonly maxRuns = 16,
  ) {}

  /** The run's plan and its critical task ids, built on first use. */
  get(run: RunRecord): Promise<{ plan: Plan; critical: ReadonlySet<string> }> {
    let entry = this.#entries.get(run.id);
    if (entry) {
      // Most recently used last, so the oldest entry is the one evicted.
      this.#entries.delete(run.id);
      this.#entries.set(run.id, entry);
      return entry;
    }
    entry = this.store.listTasks(run.id).then((tasks) => {
      const plan = planOfRun(run, tasks);
      return { plan, critical: new Set(plan.criticalPath) };
    });
    entry.catch(() => this.#entries.delete(run.id));
    this.#entries.set(run.id, entry);
    while (this.#entries.size > this.maxRuns) this.#entries.delete(this.#entries.keys().next().value!);
    return entry;
  }

  /** A task spec changed or a task was added somewhere: every plan is rebuilt on next use. */
  invalidate(): void {
    this.#entries.clear();
  }
}
