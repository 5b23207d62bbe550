/** A task with everything the dashboard shows: attempts, result, the prompt it gets, and its log tail. */
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Plan } from '../core/task.js';
import { sumUsage } from '../core/usage.js';
import { readRunSettings } from '../engine/run-settings.js';
import { analyzePlan } from '../plan/analyze-plan.js';
import { buildPrompt, createTemplateLoader, type TaskMemory } from '../prompt/index.js';
import type { RunRecord, TaskRecord } from '../store/records.js';
import type { Weft } from '../weft.js';
import { attemptToApi, taskToApi } from './api-json.js';
import type { RunPlanCache } from './run-plan-cache.js';

const LOG_TAIL_BYTES = 16 * 1024;

/** The plan a stored run was made from (with critical path and phases), rebuilt from its tasks. */
export function planOfRun(run: RunRecord, tasks: TaskRecord[]): Plan {
  const settings = readRunSettings(run.options);
  return analyzePlan({ title: run.title, context: settings.context, tasks: tasks.map((t) => t.spec), source: settings.source });
}

/** The last `LOG_TAIL_BYTES` of a file, or null when it does not exist. */
async function tail(path: string): Promise<string | null> {
  try {
    const size = (await stat(path)).size;
    const handle = await open(path, 'r');
    try {
      const length = Math.min(size, LOG_TAIL_BYTES);
      const buf = Buffer.alloc(length);
      await handle.read(buf, 0, length, size - length);
      return buf.toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return null;
  }
}

/** Where `Weft.executeRun` writes a task's agent output. */
export function taskLogPath(weft: Weft, runId: string, taskId: string): string {
  return join(weft.dataDir, 'logs', runId, `${taskId.replace(/[^\w.-]/g, '_')}.log`);
}

/** The prompt the task's agent receives (without retry feedback), or null when a template fails. */
async function promptOf(weft: Weft, plan: Plan, task: TaskRecord): Promise<string | null> {
  const { store, config } = weft;
  try {
    const memory = new Map<string, TaskMemory>();
    const deps = await Promise.all(task.dependsOn.map((id) => store.getTask(task.runId, id)));
    for (const dep of deps) {
      const r = dep?.result as { summary?: string | null; filesChanged?: string[]; commits?: string[] } | null | undefined;
      if (dep && r) memory.set(dep.id, { summary: r.summary ?? `${dep.id} succeeded`, filesChanged: r.filesChanged ?? [], commits: r.commits ?? [] });
    }
    const loader = createTemplateLoader(config.prompt.templates ? { overrideDir: config.prompt.templates } : {});
    return (await buildPrompt(plan, task.id, { memory, loader, ...(config.prompt.maxChars ? { maxChars: config.prompt.maxChars } : {}) })).text;
  } catch {
    // A template error must not hide the rest of the task.
    return null;
  }
}

/** Loads the detail of one task of a run; the prompt is built only when asked for (`include: ['prompt']`). */
export async function loadTaskDetail(weft: Weft, plans: RunPlanCache, run: RunRecord, task: TaskRecord, opts: { include?: readonly string[] } = {}) {
  const [attempts, analyzed, logTail] = await Promise.all([weft.store.listAttempts(run.id, task.id), plans.get(run), tail(taskLogPath(weft, run.id, task.id))]);
  return {
    task: taskToApi(task),
    critical: analyzed.critical.has(task.id),
    attempts: attempts.map(attemptToApi),
    usage: sumUsage(attempts.map((a) => a.usage)),
    result: task.result,
    prompt: opts.include?.includes('prompt') ? await promptOf(weft, analyzed.plan, task) : null,
    logTail,
  };
}
