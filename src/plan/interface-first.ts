/** Interface-first planning: tasks depend on the interface task of every component their component uses. */
import picomatch from 'picomatch';
import type { Priority, TaskSpec } from '../core/task.js';
import { PRIORITY_RANK } from '../core/task.js';
import type { Component } from './parse-structure.js';
import { interfaceDeliverables } from './interface-task.js';
import { slugify } from './slug.js';

/** Adds interface dependencies (and missing "Define the interface of X" tasks) to `tasks`, in place. */
export function applyInterfaceFirst(tasks: TaskSpec[], components: Component[], defaultEstimateMinutes: number, file: string): void {
  if (components.length === 0) return;
  const matchers = components.map((c) => ({ c, match: picomatch(c.paths.length ? c.paths : ['**/*'], { dot: true }) }));
  const componentsOf = (t: TaskSpec) =>
    matchers.filter(({ c, match }) => c.paths.length > 0 && t.files.some((f) => match(stripGlob(f)) || c.paths.some((p) => overlaps(p, f)))).map(({ c }) => c);

  // A component's interface is every interface task in its paths, else every one naming it in the title.
  const interfaceTasks = new Map<string, TaskSpec[]>();
  const interfaces = tasks.filter((t) => t.type === 'interface');
  for (const t of interfaces) {
    for (const c of componentsOf(t)) {
      const list = interfaceTasks.get(c.name);
      if (list) list.push(t);
      else interfaceTasks.set(c.name, [t]);
    }
  }
  for (const c of components) {
    if (interfaceTasks.has(c.name)) continue;
    const named = new RegExp(`(^|[^a-z0-9])${escapeRegExp(c.name.toLowerCase())}([^a-z0-9]|$)`);
    const found = interfaces.filter((t) => named.test(t.title.toLowerCase()));
    if (found.length > 0) interfaceTasks.set(c.name, found);
  }
  const ids = new Set(tasks.map((t) => t.id.toLowerCase()));
  const byName = new Map(components.map((c) => [c.name, c]));
  const added: TaskSpec[] = [];

  /** The open interface tasks of a component (none when they are all done), adding one when the document has none. */
  const ensureInterface = (name: string, priority: Priority): TaskSpec[] => {
    const existing = interfaceTasks.get(name);
    if (existing) return existing.filter((t) => t.status !== 'done');
    const c = byName.get(name)!;
    let id = `${slugify(name)}-interface`;
    for (let n = 2; ids.has(id); n++) id = `${slugify(name)}-interface-${n}`;
    ids.add(id);
    const deliverables = interfaceDeliverables(name, c.interfacePath);
    const task: TaskSpec = {
      id,
      title: `Define the interface of ${name}`,
      description: [c.description, `Define the types, functions and contracts of ${name} that other components build against, with a minimal mock implementation so dependents can start at once.`, deliverables.text].filter(Boolean).join('\n\n'),
      type: 'interface',
      typeReason: `added by interface-first planning: STRUCTURE.md (${file}:${c.line}) has components that use ${name} and no interface task for it`,
      priority,
      status: 'pending',
      dependsOn: [],
      estimateMinutes: defaultEstimateMinutes,
      files: c.interfacePath ? deliverables.files : [...c.paths, ...deliverables.files],
      acceptanceCriteria: deliverables.acceptanceCriteria,
      requirementId: id,
      requirementTitle: `Define the interface of ${name}`,
      verify: c.verify,
      source: { file, line: c.line },
      notes: [],
    };
    interfaceTasks.set(name, [task]);
    added.push(task);
    return [task];
  };

  // A component's `Verify:` applies to its tasks that have none of their own (the first component wins).
  for (const t of tasks) {
    if (t.verify) continue;
    const gate = componentsOf(t).find((c) => c.verify)?.verify;
    if (gate) t.verify = gate;
  }

  for (const t of tasks) {
    if (t.type === 'interface' || t.status === 'done') continue;
    for (const c of componentsOf(t)) {
      for (const used of c.uses) {
        if (used === c.name) continue;
        for (const it of ensureInterface(used, t.priority)) {
          if (PRIORITY_RANK[t.priority] < PRIORITY_RANK[it.priority] && added.includes(it)) it.priority = t.priority;
          if (it.id !== t.id && !t.dependsOn.includes(it.id)) {
            t.dependsOn.push(it.id);
            (t.notes ??= []).push(`depends on ${it.id}: its component ${c.name} uses ${used} (interface-first)`);
          }
        }
      }
    }
  }
  tasks.unshift(...added);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The literal prefix of a glob, so a task's `src/auth/*` still lands in the component `src/auth/**`. */
function stripGlob(path: string): string {
  const i = path.search(/[*?[{]/);
  return i < 0 ? path : path.slice(0, i);
}

function overlaps(componentGlob: string, taskFile: string): boolean {
  const a = stripGlob(componentGlob);
  const b = stripGlob(taskFile);
  return a !== '' && b !== '' && (a.startsWith(b) || b.startsWith(a)) && (a.endsWith('/') || b.endsWith('/') || a === b);
}
