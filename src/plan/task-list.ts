/**
 * A tasks JSON file in weft's own shape (`weft parse-requirements --json`, `weft plan --json`, or a bare
 * array of `{ id, title, description?, dependsOn? }`), as `weft execute-tasks` reads it. Task Master's
 * tasks.json is read by `taskmaster.ts`; `isWeftTaskList` tells the two apart.
 */

import { z } from 'zod';
import { InputError } from '../core/errors.js';
import { PRIORITIES, TASK_TYPES, type TaskSpec } from '../core/task.js';
import { normalizeType } from './infer-type.js';

const idText = z.union([z.string().trim().min(1), z.int().positive().transform(String)]);
const weftTask = z.looseObject({
  id: idText,
  title: z.string().trim().min(1),
  description: z.string().nullish(),
  type: z.string().nullish(),
  priority: z.enum(PRIORITIES).nullish(),
  status: z.enum(['pending', 'done']).nullish(),
  dependsOn: z.array(idText).nullish(),
  dependencies: z.array(idText).nullish(),
  estimateMinutes: z.number().positive().nullish(),
  files: z.array(z.string()).nullish(),
  acceptanceCriteria: z.array(z.string()).nullish(),
  acceptance_criteria: z.array(z.string()).nullish(),
  requirementId: z.string().nullish(),
  agent: z.string().nullish(),
  prompt: z.string().nullish(),
});

/** Whether `json` is weft's task list rather than a Task Master file (weft's tasks carry `dependsOn` or string ids). */
export function isWeftTaskList(json: unknown): boolean {
  const list = Array.isArray(json) ? json : isRecord(json) && Array.isArray(json.tasks) ? json.tasks : undefined;
  if (!list || list.length === 0) return Array.isArray(json);
  return list.some((t) => isRecord(t) && ('dependsOn' in t || typeof t.id === 'string' || 'prompt' in t));
}

/** Reads weft's task list into task specs; `file` names the source in errors. */
export function readWeftTaskList(json: unknown, file: string, defaultEstimateMinutes = 60): { title: string; context: string; tasks: TaskSpec[] } {
  const list = Array.isArray(json) ? json : isRecord(json) ? json.tasks : undefined;
  const parsed = z.array(weftTask).safeParse(list);
  if (!parsed.success) {
    const iss = parsed.error.issues[0];
    const path = (iss?.path ?? []).map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    throw new InputError(`${file}: tasks${path}: ${iss?.message ?? 'expected a list of tasks'}`, { file });
  }
  const tasks = parsed.data.map((t, i): TaskSpec => {
    const type = t.type ? normalizeType(t.type) : 'feature';
    if (!type) throw new InputError(`${file}: tasks[${i}].type: unknown type "${t.type}" (known: ${TASK_TYPES.join(', ')})`, { file });
    return {
      id: t.id,
      title: t.title,
      description: t.description ?? '',
      type,
      typeReason: t.type ? 'given in the tasks file' : 'default for a tasks file',
      priority: t.priority ?? 'medium',
      status: t.status ?? 'pending',
      dependsOn: [...(t.dependsOn ?? t.dependencies ?? [])],
      estimateMinutes: t.estimateMinutes ?? defaultEstimateMinutes,
      files: [...(t.files ?? [])],
      acceptanceCriteria: [...(t.acceptanceCriteria ?? t.acceptance_criteria ?? [])],
      requirementId: t.requirementId ?? t.id,
      requirementTitle: t.title,
      ...(t.agent ? { agent: t.agent } : {}),
      ...(t.prompt ? { prompt: t.prompt } : {}),
      source: { file, line: 1 },
    };
  });
  const ids = new Set<string>();
  tasks.forEach((t, i) => {
    if (ids.has(t.id)) throw new InputError(`${file}: tasks[${i}].id: duplicate task id "${t.id}"`, { file });
    ids.add(t.id);
  });
  tasks.forEach((t, i) => {
    for (const d of t.dependsOn) if (!ids.has(d)) throw new InputError(`${file}: tasks[${i}].dependsOn: unknown task "${d}"`, { file });
  });
  const title = isRecord(json) && typeof json.title === 'string' ? json.title : `Tasks from ${file}`;
  const context = isRecord(json) && typeof json.context === 'string' ? json.context : '';
  return { title, context, tasks };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
