/**
 * What every Codegen attempt of one organization shares in this process: the creation pace (10 runs a
 * minute), one read budget (60 requests per 30 s) for polls and look-ups, 429 holds, and one poller that
 * reads many active runs with a single `GET …/agent/runs` list call.
 */
import type { Redactor } from '../core/redact.js';
import { AgentError } from './agent-backend.js';
import { codegenFetch, expectOk, type AgentRunPage, type AgentRunResponse, type CodegenSettings } from './codegen-api.js';
import { delay, RateGate } from './rate-gate.js';
import { abortedError } from './run-process.js';

/** Limits the spec documents; tests shorten the windows. */
export interface CodegenLimits {
  runsPerMinute: number;
  createWindowMs: number;
  readsPerWindow: number;
  readWindowMs: number;
}

/** A list page holds at most this many runs (the spec's maximum `limit`). */
const PAGE = 100;

interface Watcher {
  resolve: (run: AgentRunResponse) => void;
  reject: (err: AgentError) => void;
}

/** One organization's shared gates and poller. */
export class CodegenOrg {
  readonly createGate: RateGate;
  readonly readGate: RateGate;
  readonly #watchers = new Map<string, Watcher[]>();
  #polling = false;
  #pollMs: number;

  constructor(
    private readonly settings: CodegenSettings,
    private readonly redact: Redactor,
    readonly limits: CodegenLimits,
  ) {
    this.createGate = new RateGate(limits.runsPerMinute, limits.createWindowMs);
    this.readGate = new RateGate(limits.readsPerWindow, limits.readWindowMs);
    this.#pollMs = settings.pollMs;
  }

  /** After a 429: no request of this kind before Retry-After, or, without one, before the whole window has passed. */
  hold(gate: RateGate, retryAfterMs: number | undefined): number {
    const wait = Math.min(retryAfterMs ?? gate.windowMs, 10 * 60_000);
    gate.holdUntil(Date.now() + wait);
    return wait;
  }

  /** One read request (GET) within the shared read budget; a 429 holds every reader and is tried again. */
  async read<T>(url: string, what: string, signal: AbortSignal): Promise<T> {
    for (;;) {
      await this.readGate.reserveStart(signal);
      const res = await codegenFetch(this.settings, this.redact, signal, 'GET', url);
      if (res.status === 429) {
        this.hold(this.readGate, res.retryAfterMs);
        continue;
      }
      return expectOk<T>(res, this.redact, what);
    }
  }

  /** The newest agent runs created through the API (one page). */
  async listRuns(signal: AbortSignal, skip = 0): Promise<AgentRunResponse[]> {
    const page = await this.read<AgentRunPage>(`${this.orgUrl}/agent/runs?source_type=API&skip=${skip}&limit=${PAGE}`, 'list agent runs', signal);
    return Array.isArray(page.items) ? page.items : [];
  }

  /** `…/organizations/{org}`. */
  get orgUrl(): string {
    return `${this.settings.baseUrl}/v1/organizations/${encodeURIComponent(this.settings.orgId)}`;
  }

  /** The next reading of run `id` (one poll round later); rejects with the round's error. */
  next(id: string, pollMs: number, signal: AbortSignal): Promise<AgentRunResponse> {
    this.#pollMs = Math.min(this.#pollMs, pollMs);
    return new Promise<AgentRunResponse>((resolve, reject) => {
      if (signal.aborted) return reject(abortedError(signal, 'codegen attempt'));
      const w: Watcher = {
        resolve: (run) => {
          signal.removeEventListener('abort', onAbort);
          resolve(run);
        },
        reject: (err) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      const onAbort = () => {
        this.#drop(id, w);
        reject(abortedError(signal, 'codegen attempt'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const list = this.#watchers.get(id);
      if (list) list.push(w);
      else this.#watchers.set(id, [w]);
      if (!this.#polling) {
        // Cleared synchronously when the loop ends, so a watcher added right after starts a new one.
        this.#polling = true;
        void this.#run().finally(() => undefined);
      }
    });
  }

  #drop(id: string, w: Watcher): void {
    const list = this.#watchers.get(id)?.filter((x) => x !== w) ?? [];
    if (list.length) this.#watchers.set(id, list);
    else this.#watchers.delete(id);
  }

  /** Poll rounds while anyone waits: one GET for one run, one list call for many. */
  async #run(): Promise<void> {
    try {
      await this.#rounds();
    } catch {
      this.#polling = false;
    }
  }

  async #rounds(): Promise<void> {
    const never = new AbortController().signal;
    for (;;) {
      // Checked and cleared with no await in between, so a watcher added right after starts a new loop.
      if (this.#watchers.size === 0) {
        this.#polling = false;
        return;
      }
      await delay(this.#pollMs, never);
      const ids = [...this.#watchers.keys()];
      if (ids.length === 0) continue;
      const found = new Map<string, AgentRunResponse>();
      const failed = new Map<string, AgentError>();
      try {
        if (ids.length > 1) {
          for (const run of await this.listRuns(never)) if (run.id !== undefined && ids.includes(String(run.id))) found.set(String(run.id), run);
        }
        // Runs not on the first page (or a single run): read one by one, within the same budget.
        for (const id of ids.filter((x) => !found.has(x))) {
          try {
            found.set(id, await this.read<AgentRunResponse>(`${this.orgUrl}/agent/run/${encodeURIComponent(id)}`, `read agent run ${id}`, never));
          } catch (err) {
            failed.set(id, toAgentError(err));
          }
        }
      } catch (err) {
        for (const id of ids) failed.set(id, toAgentError(err));
      }
      for (const id of ids) {
        const waiting = this.#watchers.get(id) ?? [];
        this.#watchers.delete(id);
        const run = found.get(id);
        for (const w of waiting) {
          if (run) w.resolve(run);
          else w.reject(failed.get(id) ?? new AgentError('server', `codegen: run ${id} was not found`));
        }
      }
    }
  }
}

function toAgentError(err: unknown): AgentError {
  return err instanceof AgentError ? err : new AgentError('network', (err as Error).message);
}

const orgs = new Map<string, CodegenOrg>();

/** The process-wide state of one organization (per API base URL), so every backend object and run shares it. */
export function sharedOrg(settings: CodegenSettings, redact: Redactor, limits: CodegenLimits): CodegenOrg {
  const key = `${settings.baseUrl}|${settings.orgId}`;
  let org = orgs.get(key);
  const same = org && Object.entries(limits).every(([k, v]) => org!.limits[k as keyof CodegenLimits] === v);
  if (!org || !same) {
    org = new CodegenOrg(settings, redact, limits);
    orgs.set(key, org);
  }
  return org;
}
