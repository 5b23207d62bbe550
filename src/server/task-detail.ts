/** A task with everything the dashboard shows: attempts, result, the prompt it gets, and its log tail. */
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Plan } from '../core/task.js';
import { readRunSettings } from '../engine/run-settings.js';
import { analyzePlan } from '../plan/analyze-plan.js';
import { buildPrompt, createTemplateLoader, type TaskMemory } from '../prompt/index.js';
import type { RunRecord, TaskRecord } from '../store/records.js';
import type { Weft } from '../weft.js';
import { attemptToApi, taskToApi } from './api-json.js';

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

/** Loads the detail of one task of a run. */
export async function loadTaskDetail(weft: Weft, run: RunRecord, task: TaskRecord) {
  const { store, config } = weft;
  const [tasks, attempts] = await Promise.all([store.listTasks(run.id), store.listAttempts(run.id, task.id)]);
  const plan = planOfRun(run, tasks);
  const planned = plan.tasks.find((t) => t.id === task.id);
  let prompt: string | null = null;
  try {
    const memory = new Map<string, TaskMemory>();
    for (const dep of tasks.filter((t) => task.dependsOn.includes(t.id))) {
      const r = dep.result as { summary?: string | null; filesChanged?: string[]; commits?: string[] } | null;
      if (r) memory.set(dep.id, { summary: r.summary ?? `${dep.id} succeeded`, filesChanged: r.filesChanged ?? [], commits: r.commits ?? [] });
    }
    const loader = createTemplateLoader(config.prompt.templates ? { overrideDir: config.prompt.templates } : {});
    prompt = (await buildPrompt(plan, task.id, { memory, loader, ...(config.prompt.maxChars ? { maxChars: config.prompt.maxChars } : {}) })).text;
  } catch {
    // A template error must not hide the rest of the task.
    prompt = null;
  }
  return {
    task: taskToApi(task),
    critical: planned?.critical ?? false,
    attempts: attempts.map(attemptToApi),
    result: task.result,
    prompt,
    logTail: await tail(taskLogPath(weft, run.id, task.id)),
  };
}
