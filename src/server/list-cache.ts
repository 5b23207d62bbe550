/**
 * A cache for task list pages, the API's hottest read. A page is served from the cache only while
 * nothing may have changed it: no mutating call went through this server, no engine event came by on
 * the server's bus, the store's newest event id is the same (engines in other processes record an
 * event for every change of a task's state), and it is younger than `ttlMs` (changes by other
 * processes that record no event, such as `weft cancel` of an idle run, show within that).
 */
import type { Store } from '../store/store.js';

interface Entry {
  body: string;
  version: number;
  eventId: number;
  at: number;
}

export class ListCache {
  readonly #entries = new Map<string, Entry>();
  #version = 0;

  constructor(
    private readonly store: Store,
    private readonly ttlMs: number,
    private readonly maxEntries = 256,
  ) {}

  /** Something changed: every cached page is stale. */
  invalidate(): void {
    this.#version++;
  }

  /** The page for `key`, computed by `compute` when the cached one may be stale. */
  async get(key: string, compute: () => Promise<string>): Promise<string> {
    if (this.ttlMs <= 0) return compute();
    const version = this.#version;
    const eventId = await this.store.lastEventId();
    const hit = this.#entries.get(key);
    const now = Date.now();
    if (hit && hit.version === version && hit.eventId === eventId && now - hit.at < this.ttlMs) return hit.body;
    const body = await compute();
    // A change while the page was read may or may not be in it: do not keep it.
    if (version === this.#version) {
      this.#entries.delete(key);
      if (this.#entries.size >= this.maxEntries) {
        const oldest = this.#entries.keys().next();
        if (!oldest.done) this.#entries.delete(oldest.value);
      }
      this.#entries.set(key, { body, version, eventId, at: now });
    }
    return body;
  }
}
