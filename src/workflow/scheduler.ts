/**
 * Cron triggers (`on: { schedule: "0 6 * * 1-5" }`), running inside `weft serve` and `weft worker`.
 * Every process computes the same ticks; a store row per (workflow, tick) is the claim, so each tick
 * starts one run however many processes watch.
 */
import { Cron } from 'croner';
import type { WorkflowDef } from './definition.js';
import type { Workflows } from './workflows.js';

/** The cron patterns of a workflow (`schedule:` as text, or a list of text or `{ cron }`). */
export function schedulesOf(def: WorkflowDef): string[] {
  const s = def.on?.schedule;
  if (s === undefined) return [];
  return (Array.isArray(s) ? s : [s]).map((x) => (typeof x === 'string' ? x : x.cron));
}

/** Checks a cron pattern; the error message says what is wrong. */
export function checkCron(pattern: string): string | null {
  try {
    new Cron(pattern, { paused: true });
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

export interface SchedulerOptions {
  /** Called with each run a tick started (execute it). */
  onRun: (runId: string) => void;
  onError?: (err: unknown) => void;
  /** How often stored workflows are looked at again (new or changed schedules). */
  checkMs?: number;
}

/** Starts watching; the returned function stops. */
export function startScheduler(workflows: Workflows, opts: SchedulerOptions): () => void {
  const next = new Map<string, number>();
  let stopped = false;
  let busy = false;
  const tick = async () => {
    if (busy || stopped) return;
    busy = true;
    try {
      const now = Date.now();
      const seen = new Set<string>();
      for (const w of await workflows.list()) {
        const def = w.definition as unknown as WorkflowDef;
        for (const pattern of schedulesOf(def)) {
          const key = `${w.id}\u0000${pattern}`;
          seen.add(key);
          if (checkCron(pattern)) continue;
          const cron = new Cron(pattern, { paused: true });
          let at = next.get(key);
          if (at === undefined) {
            at = cron.nextRun(new Date(now))?.getTime() ?? Infinity;
            next.set(key, at);
          }
          if (now < at) continue;
          next.set(key, cron.nextRun(new Date(now))?.getTime() ?? Infinity);
          if (!(await workflows.store.workflows.claimTick(w.id, at, now))) continue;
          const run = await workflows.startDef(def, { workflowId: w.id, trigger: { kind: 'schedule', cron: pattern, tick: at } });
          await workflows.store.workflows.setTickRun(w.id, at, run.id);
          opts.onRun(run.id);
        }
      }
      for (const k of [...next.keys()]) if (!seen.has(k)) next.delete(k);
    } catch (err) {
      opts.onError?.(err);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), opts.checkMs ?? 1000);
  timer.unref();
  void tick();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
