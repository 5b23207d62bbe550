/**
 * Live engine events for SSE clients. Events of runs executing in this process arrive on the server's
 * bus and go out at once; the store's event log (written in batches by every process's recorder) is
 * polled for the rest. An event seen on the bus is later matched with its stored copy, and only that
 * copy's id is sent then: every client gets each event once, and every event gets an id it can
 * resume from with Last-Event-ID.
 */
import type { EngineEventMap, EngineEventName, EngineEvents } from '../engine/events.js';
import type { EventRecord, Json } from '../store/records.js';
import type { Store } from '../store/store.js';

/** One message for SSE clients. `id` is the store's event id; an id-only message carries no event. */
export interface HubMessage {
  id: number | undefined;
  /** True when this only tells the stored id of an event already sent. */
  idOnly: boolean;
  type: string;
  runId: string | null;
  taskId: string | null;
  at: number;
  data: Json;
}

/** Bus events relayed live (task.output is too chatty for the stream). */
export const LIVE_EVENTS = [
  'run.started',
  'task.started',
  'attempt.failed',
  'retry.scheduled',
  'task.succeeded',
  'task.failed',
  'task.blocked',
  'task.cancelled',
  'task.reclaimed',
  'backend.paused',
  'budget.exhausted',
  'run.merged',
  'run.finished',
] as const satisfies readonly EngineEventName[];

/** How long a bus event waits for its stored copy before it is forgotten. */
const MATCH_WINDOW_MS = 30_000;

export interface EventHubOptions {
  /** How often the store is polled while anyone listens. */
  pollMs?: number;
}

type Listener = (m: HubMessage) => void;

/** Fans engine events out to subscribers; polls the store only while there are subscribers. */
export class EventHub {
  readonly #listeners = new Set<Listener>();
  /** Bus events not yet matched with their stored copy: key -> times they were seen. */
  readonly #unmatched = new Map<string, number[]>();
  readonly #pollMs: number;
  #lastId = 0;
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #starting: Promise<void> | undefined;
  #closed = false;

  constructor(
    private readonly store: Store,
    bus: EngineEvents,
    options: EventHubOptions = {},
  ) {
    this.#pollMs = options.pollMs ?? 250;
    for (const name of LIVE_EVENTS) {
      bus.on(name, (payload: EngineEventMap[typeof name]) => this.#fromBus(name, payload));
    }
  }

  /** Newest stored event id the hub has seen. */
  get lastId(): number {
    return this.#lastId;
  }

  /** Adds a listener; resolves once the hub is following the store. Returns the unsubscribe function. */
  async subscribe(listener: Listener): Promise<() => void> {
    this.#listeners.add(listener);
    if (!this.#timer && !this.#starting) {
      this.#starting = (async () => {
        this.#lastId = Math.max(this.#lastId, await this.store.lastEventId());
        if (!this.#closed && this.#listeners.size > 0 && !this.#timer) {
          this.#timer = setInterval(() => void this.poll(), this.#pollMs);
          this.#timer.unref();
        }
      })().finally(() => (this.#starting = undefined));
    }
    await this.#starting;
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0 && this.#timer) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    };
  }

  /** Reads new stored events once (serialized; the timer calls this). */
  poll(): Promise<void> {
    this.#polling ??= this.#pollOnce().finally(() => (this.#polling = undefined));
    return this.#polling;
  }

  /** Stops polling and drops every listener. */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#listeners.clear();
  }

  async #pollOnce(): Promise<void> {
    try {
      for (;;) {
        const page = await this.store.listEvents({ afterId: this.#lastId, limit: 500 });
        for (const e of page) {
          this.#lastId = Math.max(this.#lastId, e.id);
          this.#fromStore(e);
        }
        if (page.length < 500) break;
      }
    } catch {
      // A failed poll (database busy or closing) is retried at the next tick.
    }
    this.#expire(Date.now());
  }

  #fromBus(type: string, payload: object): void {
    if (this.#listeners.size === 0) return;
    const data = payload as unknown as Json;
    const key = matchKey(type, data);
    const now = Date.now();
    const seen = this.#unmatched.get(key);
    if (seen) seen.push(now);
    else this.#unmatched.set(key, [now]);
    const p = payload as { runId?: string; taskId?: string };
    this.#send({ id: undefined, idOnly: false, type, runId: p.runId ?? null, taskId: p.taskId ?? null, at: now, data });
  }

  #fromStore(e: EventRecord): void {
    const key = matchKey(e.type, e.data);
    const seen = this.#unmatched.get(key);
    const idOnly = seen !== undefined && seen.length > 0;
    if (seen) {
      seen.shift();
      if (seen.length === 0) this.#unmatched.delete(key);
    }
    this.#send({ id: e.id, idOnly, type: e.type, runId: e.runId, taskId: e.taskId, at: e.at, data: e.data });
  }

  #send(m: HubMessage): void {
    for (const l of this.#listeners) l(m);
  }

  #expire(now: number): void {
    for (const [key, times] of this.#unmatched) {
      while (times.length && (times[0] ?? 0) < now - MATCH_WINDOW_MS) times.shift();
      if (times.length === 0) this.#unmatched.delete(key);
    }
  }
}

/** Bus payloads and their stored copies serialize alike (the recorder stores the payload as it is). */
function matchKey(type: string, data: Json): string {
  return `${type}\u0000${JSON.stringify(data)}`;
}

/** Formats a message as SSE text. */
export function sseMessage(m: HubMessage): string {
  if (m.idOnly) return `id: ${m.id}\n\n`;
  const body = JSON.stringify({ type: m.type, at: m.at, runId: m.runId, taskId: m.taskId, data: m.data });
  return `${m.id !== undefined ? `id: ${m.id}\n` : ''}event: ${m.type}\ndata: ${body}\n\n`;
}

/** Stored events after `afterId` (optionally of one run) as messages, oldest first, page by page. */
export async function* storedMessages(store: Store, afterId: number, runId: string | undefined): AsyncGenerator<HubMessage> {
  let cursor = afterId;
  for (;;) {
    const page = await store.listEvents({ afterId: cursor, limit: 500, ...(runId ? { runId } : {}) });
    for (const e of page) {
      cursor = e.id;
      yield { id: e.id, idOnly: false, type: e.type, runId: e.runId, taskId: e.taskId, at: e.at, data: e.data };
    }
    if (page.length < 500) return;
  }
}
