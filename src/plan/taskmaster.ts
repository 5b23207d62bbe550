/**
 * Interop with Task Master's tasks.json (legacy `{ tasks }` and tagged `{ master: { tasks } }` formats).
 * A parent task with subtasks maps to a requirement grouping its tasks, as a `##` section with checklist items does.
 */

import { basename } from 'node:path';
import { z } from 'zod';
import { InputError } from '../core/errors.js';
import { PRIORITY_RANK, type Plan, type Priority, type TaskSpec, type TaskType } from '../core/task.js';

const TM_STATUSES = ['pending', 'done', 'in-progress', 'deferred', 'cancelled', 'review'] as const;
const TM_PRIORITIES = ['high', 'medium', 'low', 'critical'] as const;

const tmId = z.union([z.int().positive(), z.string().regex(/^[^\s.]+$/, 'expected an id without dots or spaces')]);
const tmDep = z.union([z.int().positive(), z.string().regex(/^[^\s.]+(\.[^\s.]+)?$/, 'expected "<id>" or "<id>.<subId>"')]);
const optText = z.string().nullish().transform((s) => s ?? '');
// Loose objects: Task Master adds fields over time (complexity, updatedAt, ...) that weft has no use for.
const tmSubtask = z.looseObject({
  id: tmId,
  title: z.string().trim().min(1),
  description: optText,
  details: optText,
  testStrategy: optText,
  status: z.enum(TM_STATUSES).optional(),
  priority: z.enum(TM_PRIORITIES).optional(),
  dependencies: z.array(tmDep).nullish().transform((d) => d ?? []),
});
const tmTask = tmSubtask.extend({ subtasks: z.array(tmSubtask).nullish().transform((s) => s ?? []) });
const tmTaskList = z.array(tmTask);
type TmTask = z.output<typeof tmTask>;
type TmSubtask = z.output<typeof tmSubtask>;

/** One task or subtask as Task Master writes it. */
export interface TaskmasterTask {
  id: number;
  title: string;
  description: string;
  details: string;
  testStrategy: string;
  status: 'pending' | 'done';
  priority?: 'high' | 'medium' | 'low';
  dependencies: (number | string)[];
  subtasks?: TaskmasterTask[];
}

/** The tagged tasks.json layout weft writes. */
export interface TaskmasterFile {
  master: { tasks: TaskmasterTask[]; metadata: { created: string; updated: string; description: string } };
}

/** Options for reading a tasks.json. */
export interface TaskmasterImportOptions {
  /** Tag to read from the tagged format; default "master", or the only tag there is. */
  tag?: string;
  /** Estimate for every imported task (Task Master has none); default 60. */
  estimateMinutes?: number;
}

/** Reads a parsed tasks.json into weft task specs; `file` names the source in errors. */
export function importTaskmaster(json: unknown, file: string, opts: TaskmasterImportOptions = {}): { title: string; tasks: TaskSpec[] } {
  const fail = (path: string, message: string): never => {
    throw new InputError(`${file}: ${path ? `${path}: ` : ''}${message}`, { file, path });
  };
  const { raw, at, metadata } = locateTasks(json, opts.tag, fail);
  const parsed = tmTaskList.safeParse(raw);
  if (!parsed.success) {
    const iss = parsed.error.issues[0];
    return fail(at + jsonPath(iss?.path ?? []), iss?.message ?? 'invalid task list');
  }
  const tasks = parsed.data;
  const byId = new Map<string, TmTask>();
  tasks.forEach((t, i) => {
    if (byId.has(String(t.id))) fail(`${at}[${i}].id`, `duplicate task id ${t.id}`);
    byId.set(String(t.id), t);
    const seen = new Set<string>();
    t.subtasks.forEach((s, j) => {
      if (seen.has(String(s.id))) fail(`${at}[${i}].subtasks[${j}].id`, `duplicate subtask id ${s.id}`);
      seen.add(String(s.id));
    });
  });
  const isDone = (parent: TmTask, sub?: TmSubtask) => parent.status === 'done' || sub?.status === 'done';
  // Depending on a parent means depending on its open subtasks, like depending on a requirement.
  const expand = (t: TmTask): string[] =>
    t.subtasks.length === 0 ? [String(t.id)] : t.subtasks.filter((s) => !isDone(t, s)).map((s) => `${t.id}.${s.id}`);
  const subtaskRef = (ref: string, where: string): string => {
    const [p = '', s = ''] = ref.split('.');
    if (!byId.get(p)?.subtasks.some((x) => String(x.id) === s)) fail(where, `unknown subtask ${ref}`);
    return ref;
  };
  const taskDeps = (t: TmTask, where: string): string[] =>
    t.dependencies.flatMap((dep, k) => {
      const ref = String(dep);
      if (ref.includes('.')) return [subtaskRef(ref, `${where}[${k}]`)];
      const target = byId.get(ref);
      if (!target) return fail(`${where}[${k}]`, `unknown task ${ref}`);
      if (target === t) return fail(`${where}[${k}]`, `task ${ref} depends on itself`);
      return expand(target);
    });
  // Task Master writes a sibling as a bare number; a string without a dot names a top-level task first.
  const subDeps = (parent: TmTask, s: TmSubtask, where: string): string[] =>
    s.dependencies.flatMap((dep, k) => {
      const ref = String(dep);
      if (ref.includes('.')) return [subtaskRef(ref, `${where}[${k}]`)];
      const sibling = parent.subtasks.find((x) => String(x.id) === ref);
      const top = byId.get(ref);
      if (sibling && (typeof dep === 'number' || !top)) return [`${parent.id}.${ref}`];
      if (!top) return fail(`${where}[${k}]`, `unknown task ${ref}`);
      if (top === parent) return fail(`${where}[${k}]`, `subtask depends on its own parent task ${ref}`);
      return expand(top);
    });
  const estimateMinutes = opts.estimateMinutes ?? 60;
  const specs: TaskSpec[] = [];
  tasks.forEach((t, i) => {
    const where = `${at}[${i}]`;
    const parentDeps = taskDeps(t, `${where}.dependencies`);
    const base = { requirementId: String(t.id), requirementTitle: t.title, estimateMinutes, files: [], acceptanceCriteria: [], source: { file, line: 1 } };
    if (t.subtasks.length === 0) {
      const status = isDone(t) ? 'done' : 'pending';
      specs.push({ ...base, ...describe(t), id: String(t.id), priority: priorityOf(t.priority), status, dependsOn: unique(parentDeps, String(t.id)) });
      return;
    }
    // Every item of a requirement sees the requirement's prose; a subtask likewise gets its parent's text.
    const parentText = textOf({ ...t, description: t.description === t.title ? '' : t.description });
    t.subtasks.forEach((s, j) => {
      const id = `${t.id}.${s.id}`;
      const own = subDeps(t, s, `${where}.subtasks[${j}].dependencies`);
      const description = [textOf(s), parentText].filter(Boolean).join('\n\n');
      const status = isDone(t, s) ? 'done' : 'pending';
      const priority = priorityOf(s.priority ?? t.priority);
      specs.push({ ...base, ...describe(s), description, id, priority, status, dependsOn: unique([...parentDeps, ...own], id) });
    });
  });
  const title =
    metaText(metadata, 'projectName') ?? metaText(metadata, 'title') ?? metaText(metadata, 'description') ?? `Tasks from ${basename(file)}`;
  return { title, tasks: specs };
}

/** Writes a plan as a tagged tasks.json; requirements with several tasks become parents with subtasks. */
export function exportTaskmaster(plan: Plan, opts: { now?: Date } = {}): TaskmasterFile {
  const groups = new Map<string, Plan['tasks']>();
  for (const t of plan.tasks) groups.set(t.requirementId, [...(groups.get(t.requirementId) ?? []), t]);
  const groupList = [...groups.values()];
  const isParent = (g: Plan['tasks']) => !(g.length === 1 && g[0]?.id === g[0]?.requirementId);
  // Integer ids are assigned in document order; `ref` is where a weft task lives in the output.
  const ref = new Map<string, { p: number; s?: number }>();
  groupList.forEach((g, gi) => g.forEach((t, ti) => ref.set(t.id, isParent(g) ? { p: gi + 1, s: ti + 1 } : { p: gi + 1 })));
  const openOf = groupList.map((g) => (isParent(g) ? g.filter((t) => t.status !== 'done').map((t) => t.id) : []));
  // A set holding every open subtask of a parent is written as the parent's id (import expands it back).
  const compress = (deps: string[], asString: boolean): (number | string)[] => {
    const out: (number | string)[] = [];
    const left = new Set(deps.filter((d) => ref.has(d)));
    openOf.forEach((open, gi) => {
      if (open.length > 0 && open.every((d) => left.has(d))) {
        open.forEach((d) => left.delete(d));
        out.push(asString ? String(gi + 1) : gi + 1);
      }
    });
    for (const d of left) {
      const r = ref.get(d) as { p: number; s?: number };
      out.push(r.s === undefined ? (asString ? String(r.p) : r.p) : `${r.p}.${r.s}`);
    }
    return out;
  };
  const tasks = groupList.map((g, gi): TaskmasterTask => {
    const first = g[0] as Plan['tasks'][number];
    if (!isParent(g)) return { id: gi + 1, ...fields(first), dependencies: compress(first.dependsOn, false) };
    const inGroup = new Set(g.map((t) => t.id));
    const external = g.map((t) => t.dependsOn.filter((d) => !inGroup.has(d)));
    // Dependencies every subtask shares are lifted to the parent, as a requirement's `Depends on:` would be.
    const common = (external[0] ?? []).filter((d) => external.every((e) => e.includes(d)));
    const top = g.reduce((best, t) => (PRIORITY_RANK[t.priority] < PRIORITY_RANK[best] ? t.priority : best), first.priority);
    const priority = tmPriority(top);
    // Text every subtask shares (a requirement's prose, files, criteria) is written once, on the parent.
    const texts = g.map(fields);
    const shared = (key: 'description' | 'details' | 'testStrategy') => texts.every((x) => x[key] === texts[0]?.[key]);
    const lifted = { description: shared('description'), details: shared('details'), testStrategy: shared('testStrategy') };
    const subtasks = g.map((t, ti): TaskmasterTask => {
      const siblings = t.dependsOn.filter((d) => inGroup.has(d)).map((d) => ref.get(d)?.s as number);
      const rest = compress((external[ti] ?? []).filter((d) => !common.includes(d)), true);
      const { priority: own, ...f } = texts[ti] as ReturnType<typeof fields>;
      for (const key of ['description', 'details', 'testStrategy'] as const) if (lifted[key]) f[key] = '';
      return { id: ti + 1, ...f, ...(own === priority ? {} : { priority: own }), dependencies: [...siblings, ...rest] };
    });
    const status = g.every((t) => t.status === 'done') ? 'done' : 'pending';
    const text = texts[0] as ReturnType<typeof fields>;
    return {
      id: gi + 1,
      title: first.requirementTitle,
      // Task Master wants a description; the title stands in (and import ignores it) when subtasks differ.
      description: lifted.description && text.description ? text.description : first.requirementTitle,
      details: lifted.details ? text.details : '',
      testStrategy: lifted.testStrategy ? text.testStrategy : '',
      status,
      priority,
      dependencies: compress(common, false),
      subtasks,
    };
  });
  const now = (opts.now ?? new Date()).toISOString();
  return { master: { tasks, metadata: { created: now, updated: now, description: plan.title } } };
}

function locateTasks(json: unknown, tag: string | undefined, fail: (path: string, message: string) => never) {
  if (!isRecord(json)) return fail('', 'expected a JSON object with "tasks" or tags such as "master"');
  if (Array.isArray(json.tasks)) {
    if (tag !== undefined && tag !== 'master') fail('', `no tag "${tag}": this file uses the untagged (legacy) format`);
    return { raw: json.tasks, at: 'tasks', metadata: json.metadata };
  }
  const tags = Object.keys(json).filter((k) => isRecord(json[k]) && Array.isArray((json[k] as Record<string, unknown>).tasks));
  const chosen = tag ?? (tags.includes('master') || tags.length !== 1 ? 'master' : tags[0]);
  const entry = chosen === undefined ? undefined : json[chosen];
  if (chosen === undefined || !tags.includes(chosen) || !isRecord(entry)) {
    return fail('', tags.length ? `no tag "${chosen}" with a task list; tags: ${tags.join(', ')}` : 'no "tasks" list and no tag holding one');
  }
  return { raw: entry.tasks, at: `${jsonPath([chosen]).replace(/^\./, '')}.tasks`, metadata: entry.metadata };
}

function describe(t: TmSubtask): { title: string; description: string; type: TaskType; typeReason: string } {
  return { title: t.title, description: textOf(t), ...typeOf(t.title) };
}

/** description + details + testStrategy, as one Markdown text. */
function textOf(t: Pick<TmSubtask, 'description' | 'details' | 'testStrategy'>): string {
  const parts = [t.description.trim(), t.details.trim(), t.testStrategy.trim() ? `Test strategy:\n${t.testStrategy.trim()}` : ''];
  return parts.filter(Boolean).join('\n\n');
}

// Only a title that plainly announces its kind changes the type; anything else is a feature.
const TYPE_RULES: [RegExp, TaskType][] = [
  [/^(fix|bug|hotfix)\b/i, 'bug_fix'],
  [/^refactor/i, 'refactor'],
  [/^(docs?|document|write (the )?docs)\b/i, 'docs'],
  [/^(tests?|add tests?|write tests?)\b/i, 'test'],
  [/^deploy/i, 'deployment'],
];

function typeOf(title: string): { type: TaskType; typeReason: string } {
  const rule = TYPE_RULES.find(([re]) => re.test(title));
  if (!rule) return { type: 'feature', typeReason: 'imported from Task Master' };
  return { type: rule[1], typeReason: `imported from Task Master; title starts with "${title.split(/\s+/)[0]}"` };
}

function fields(t: TaskSpec): Omit<TaskmasterTask, 'id' | 'dependencies' | 'subtasks'> {
  const details = t.files.length ? `Files: ${t.files.join(', ')}` : '';
  const testStrategy = t.acceptanceCriteria.map((c) => `- ${c}`).join('\n');
  const status = t.status === 'done' ? 'done' : 'pending';
  return { title: t.title, description: t.description, details, testStrategy, status, priority: tmPriority(t.priority) };
}

const priorityOf = (p: (typeof TM_PRIORITIES)[number] | undefined): Priority => p ?? 'medium';
const tmPriority = (p: Priority): 'high' | 'medium' | 'low' => (p === 'critical' ? 'high' : p);
const unique = (ids: string[], self: string): string[] => [...new Set(ids)].filter((d) => d !== self);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const metaText = (meta: unknown, key: string): string | undefined => {
  const v = isRecord(meta) ? meta[key] : undefined;
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
};

/** `['tasks', 3, 'id']` -> `tasks[3].id`; odd keys are quoted. */
function jsonPath(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_$][\w$-]*$/.test(String(p)) ? `.${String(p)}` : `[${JSON.stringify(String(p))}]`))
    .join('');
}
