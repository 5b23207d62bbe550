/** Persists engine events to the store in batches, so other processes (the dashboard's SSE) can follow a run. */
import type { Json, NewEvent } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { EngineEventName, EngineEvents } from './events.js';

const RECORDED: EngineEventName[] = [
  'run.started', 'task.started', 'attempt.failed', 'retry.scheduled', 'task.succeeded', 'task.failed',
  'task.blocked', 'task.cancelled', 'task.reclaimed', 'backend.paused', 'budget.exhausted', 'run.finished',
  'workflow.started', 'step.started', 'step.waiting', 'step.retry', 'step.finished', 'workflow.finished',
];

/** Records events until the returned `flush` is called for the last time (`close`). */
export function recordEvents(events: EngineEvents, store: Store, flushMs = 200): { close: () => Promise<void> } {
  let buffer: NewEvent[] = [];
  let pending: Promise<void> = Promise.resolve();
  const flush = () => {
    if (buffer.length === 0) return pending;
    const batch = buffer;
    buffer = [];
    pending = pending.then(() => store.appendEvents(batch)).catch(() => undefined);
    return pending;
  };
  for (const name of RECORDED) {
    (events as unknown as { on(n: string, f: (payload: unknown) => void): void }).on(name, (payload: unknown) => {
      const p = payload as unknown as { runId: string; taskId?: string };
      buffer.push({ runId: p.runId, taskId: p.taskId ?? null, type: name, at: Date.now(), data: payload as unknown as Json });
      if (buffer.length >= 500) void flush();
    });
  }
  const timer = setInterval(() => void flush(), flushMs);
  timer.unref();
  return {
    close: async () => {
      clearInterval(timer);
      await flush();
    },
  };
}
