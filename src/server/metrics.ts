/**
 * Prometheus metrics. Task counts and queue depth are read from the store at scrape time (so they
 * cover every process sharing the database); attempt durations and agent errors are observed on the
 * server's event bus, i.e. for runs this server executes.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { TASK_STATUSES } from '../core/task.js';
import type { EngineEvents } from '../engine/events.js';
import type { Store } from '../store/store.js';

export interface ServerMetrics {
  registry: Registry;
  /** Stops listening to the bus. */
  close(): void;
}

/** Creates a registry of weft's metrics fed by `bus` and `store`. */
export function createMetrics(store: Store, bus: EngineEvents, activeRuns: () => number): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'weft_process_' });

  new Gauge({
    name: 'weft_tasks',
    help: 'Stored tasks by status (every run)',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const counts = await store.countTasks();
      for (const s of TASK_STATUSES) this.set({ status: s }, counts[s] ?? 0);
    },
  });
  new Gauge({
    name: 'weft_queue_depth',
    help: 'Tasks ready to be claimed (every run)',
    registers: [registry],
    async collect() {
      this.set((await store.countTasks()).ready ?? 0);
    },
  });
  new Gauge({
    name: 'weft_active_runs',
    help: 'Runs this server is executing',
    registers: [registry],
    collect() {
      this.set(activeRuns());
    },
  });
  const durations = new Histogram({
    name: 'weft_attempt_duration_seconds',
    help: 'Duration of attempts by outcome (runs executed by this server)',
    labelNames: ['outcome'] as const,
    buckets: [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600],
    registers: [registry],
  });
  const agentErrors = new Counter({
    name: 'weft_agent_errors_total',
    help: 'Failed attempts by error category (runs executed by this server)',
    labelNames: ['category'] as const,
    registers: [registry],
  });
  const finished = new Counter({
    name: 'weft_tasks_finished_total',
    help: 'Tasks that reached a final status (runs executed by this server)',
    labelNames: ['status'] as const,
    registers: [registry],
  });

  const started = new Map<string, number>();
  const key = (e: { runId: string; taskId: string }) => `${e.runId}\u0000${e.taskId}`;
  const end = (e: { runId: string; taskId: string }, outcome: string) => {
    const t = started.get(key(e));
    if (t === undefined) return;
    started.delete(key(e));
    durations.observe({ outcome }, (Date.now() - t) / 1000);
  };
  const handlers = {
    'task.started': (e: { runId: string; taskId: string }) => started.set(key(e), Date.now()),
    'task.succeeded': (e: { runId: string; taskId: string }) => {
      end(e, 'succeeded');
      finished.inc({ status: 'succeeded' });
    },
    'attempt.failed': (e: { runId: string; taskId: string; category: string }) => {
      end(e, 'failed');
      agentErrors.inc({ category: e.category });
    },
    'task.failed': () => finished.inc({ status: 'failed' }),
    'task.cancelled': (e: { runId: string; taskId: string }) => {
      end(e, 'cancelled');
      finished.inc({ status: 'cancelled' });
    },
    'task.reclaimed': (e: { runId: string; taskId: string }) => started.delete(key(e)),
  } as const;
  for (const [name, fn] of Object.entries(handlers)) bus.on(name as 'task.started', fn as (e: unknown) => void);

  return {
    registry,
    close() {
      for (const [name, fn] of Object.entries(handlers)) bus.off(name as 'task.started', fn as (e: unknown) => void);
    },
  };
}
