/** Executes workflow runs in the background of a long-lived process (`weft serve`, `weft worker`), and stops them for a resume. */
import type { Workflows } from './workflows.js';

/** Background executions of workflow runs, at most one per run in this process. */
export class WorkflowBackground {
  readonly #active = new Map<string, { stop: AbortController; done: Promise<void> }>();

  constructor(
    private readonly workflows: Workflows,
    private readonly onError: (err: unknown, runId: string) => void = () => undefined,
  ) {}

  /** Starts executing a stored run unless it executes here already. */
  start(runId: string, opts: { resumed?: boolean } = {}): void {
    if (this.#active.has(runId)) return;
    const stop = new AbortController();
    const done = this.workflows
      .execute(runId, { signal: stop.signal, resumed: opts.resumed ?? false })
      .then(
        () => undefined,
        (err: unknown) => this.onError(err, runId),
      )
      .finally(() => this.#active.delete(runId));
    this.#active.set(runId, { stop, done });
  }

  isActive(runId: string): boolean {
    return this.#active.has(runId);
  }

  /** Resolves when `runId` no longer executes here. */
  async settled(runId: string): Promise<void> {
    await this.#active.get(runId)?.done;
  }

  /** Stops every execution (leases are left for a resume) and waits. */
  async stopAll(): Promise<void> {
    const all = [...this.#active.values()];
    for (const a of all) a.stop.abort('shutdown');
    await Promise.allSettled(all.map((a) => a.done));
  }
}
