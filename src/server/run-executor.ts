/**
 * Executes runs inside the server, in the background. Each run gets its own event bus (the engine
 * attaches its log and recorder listeners to it) whose every event is forwarded to the server's bus,
 * which the SSE stream, the metrics and the memory listen to.
 */
import type { FastifyBaseLogger } from 'fastify';
import { ConflictError } from '../core/errors.js';
import type { Engine } from '../engine/engine.js';
import { EngineEvents } from '../engine/events.js';
import type { Weft } from '../weft.js';

interface ActiveRun {
  engine: Engine | undefined;
  done: Promise<void>;
}

/** A bus that passes every event it emits on to `target` as well. */
function forwardingBus(target: EngineEvents): EngineEvents {
  const bus = new EngineEvents();
  // EventEmitter's own emit, untyped: every event, present and future, is passed on as it is.
  type Emit = (name: string, payload: unknown) => boolean;
  const own = (bus.emit as unknown as Emit).bind(bus);
  const forward = (target.emit as unknown as Emit).bind(target);
  (bus as unknown as { emit: Emit }).emit = (name, payload) => {
    const handled = own(name, payload);
    forward(name, payload);
    return handled;
  };
  return bus;
}

export interface RunExecutorOptions {
  /** Engine heartbeat; cancellation reaches a running attempt within about this long. */
  heartbeatMs?: number;
}

/** Starts, tracks and stops the runs this server executes. */
export class RunExecutor {
  readonly #active = new Map<string, ActiveRun>();

  constructor(
    private readonly weft: Weft,
    private readonly bus: EngineEvents,
    private readonly log: FastifyBaseLogger,
    private readonly options: RunExecutorOptions = {},
  ) {}

  /** Whether this server is executing `runId` now. */
  isActive(runId: string): boolean {
    return this.#active.has(runId);
  }

  /** Ids of the runs executing here. */
  activeIds(): string[] {
    return [...this.#active.keys()];
  }

  /** Starts executing a stored run in the background; ConflictError when it already executes here. */
  start(runId: string, opts: { resumed?: boolean } = {}): void {
    if (this.#active.has(runId)) throw new ConflictError(`run ${runId} is already executing in this server`, { runId });
    const entry: ActiveRun = { engine: undefined, done: Promise.resolve() };
    this.#active.set(runId, entry);
    const started = Date.now();
    entry.done = this.weft
      .executeRun(runId, {
        events: forwardingBus(this.bus),
        resumed: opts.resumed ?? false,
        onEngine: (engine) => (entry.engine = engine),
        ...(this.options.heartbeatMs ? { heartbeatMs: this.options.heartbeatMs } : {}),
      })
      .then(
        (outcome) => this.log.info({ runId, status: outcome.run.status, counts: outcome.counts }, 'run finished'),
        async (err: unknown) => {
          // A run that could not even start (no repository, bad agent) must not look pending forever.
          const message = err instanceof Error ? err.message : String(err);
          this.log.error({ err, runId }, 'run failed to execute');
          const finishedAt = Date.now();
          await this.weft.store.updateRun(runId, { status: 'failed', error: message, finishedAt }).catch(() => undefined);
          this.bus.emit('run.finished', { runId, status: 'failed', succeeded: 0, failed: 0, blocked: 0, cancelled: 0, durationMs: finishedAt - started });
        },
      )
      .finally(() => this.#active.delete(runId));
  }

  /** Resolves when `runId` is no longer executing here. */
  async settled(runId: string): Promise<void> {
    await this.#active.get(runId)?.done;
  }

  /** Stops every run (running attempts are interrupted; `weft resume` picks them up) and waits for them. */
  async stopAll(): Promise<void> {
    const entries = [...this.#active.values()];
    for (const e of entries) e.engine?.stop();
    await Promise.allSettled(entries.map((e) => e.done));
  }
}
