/** RequirementsDoc -> TaskSpecs: ids, checklist items, estimates, types, resolved dependencies. */
import { closeIds } from '../core/close-match.js';
import { SourceError } from '../core/errors.js';
import { PRIORITIES, type Priority, type TaskSpec } from '../core/task.js';
import { parseEstimate } from './estimate.js';
import { inferType, normalizeType } from './infer-type.js';
import { splitList } from './parse-structure.js';
import type { RequirementSection, RequirementsDoc } from './requirements-doc.js';
import { slugify } from './slug.js';

export const DEFAULT_ESTIMATE_MINUTES = 60;

const PRIORITY_ALIASES: Readonly<Record<string, Priority>> = { p0: 'critical', p1: 'high', p2: 'medium', p3: 'low' };

/** Result of building tasks: the specs, plus a requirement-level graph for cycle reporting. */
export interface BuiltTasks {
  tasks: TaskSpec[];
  /** Requirement id -> the requirement ids it depends on (for cycles named by requirement). */
  requirementDeps: Map<string, string[]>;
  /** Requirement id -> line of its `Depends on:` (or heading). */
  requirementLines: Map<string, number>;
}

/** Turns parsed requirements into atomic tasks; throws SourceError for bad metadata or references. */
export function buildTasks(doc: RequirementsDoc, defaultEstimateMinutes = DEFAULT_ESTIMATE_MINUTES): BuiltTasks {
  const { file } = doc;
  const byId = new Map<string, RequirementSection>();
  for (const r of doc.requirements) {
    const key = r.id.toLowerCase();
    const prev = byId.get(key);
    if (prev) throw new SourceError(file, r.line, `duplicate id "${r.id}" (first defined at ${file}:${prev.line})`);
    byId.set(key, r);
  }
  // References resolve by id first, then by title or the title's slug, all case-insensitively.
  // The title index is built on first use: most documents refer by id, and 100k titles cost.
  let byTitle: Map<string, RequirementSection> | undefined;
  const titles = () => {
    if (byTitle) return byTitle;
    byTitle = new Map();
    for (const r of doc.requirements) {
      for (const k of [r.title.toLowerCase(), slugify(r.title)]) if (!byId.has(k) && !byTitle.has(k)) byTitle.set(k, r);
    }
    return byTitle;
  };
  const lookup = (key: string) => byId.get(key) ?? titles().get(key);
  const openItemIds = (r: RequirementSection) => r.items.flatMap((it, k) => (it.done ? [] : [`${r.id}.${k + 1}`]));

  const tasks: TaskSpec[] = [];
  const requirementDeps = new Map<string, string[]>();
  const requirementLines = new Map<string, number>();
  for (const r of doc.requirements) {
    const depMeta = r.meta['depends on'];
    requirementLines.set(r.id, depMeta?.line ?? r.line);
    const dependsOn: string[] = [];
    const reqDeps: string[] = [];
    for (const ref of depMeta ? splitList(depMeta.value) : []) {
      const { target, itemId } = resolveReference(ref, lookup, doc);
      if (!target) {
        throw new SourceError(file, depMeta!.line, `unknown dependency "${ref}" of "${r.id}"${suggest(ref, doc)}`);
      }
      reqDeps.push(target.id);
      if (itemId) dependsOn.push(itemId);
      else if (target.items.length > 0) dependsOn.push(...openItemIds(target));
      else dependsOn.push(target.id);
    }
    requirementDeps.set(r.id, unique(reqDeps));

    const priority = parsePriority(r, file);
    const { type, typeReason } = resolveType(r, file);
    const files = r.meta.files ? splitList(r.meta.files.value) : [];
    const reqEstimate = parseMetaEstimate(r, file);
    const agent = r.meta.agent?.value.trim() || undefined;
    const verify = r.meta.verify?.value.trim().replace(/^`(.*)`$/, '$1') || undefined;
    const deps = unique(dependsOn);
    // Literal objects with one shape: spreading a shared base made V8 fall off its fast path at 10k+ tasks.
    const make = (id: string, title: string, status: 'pending' | 'done', estimateMinutes: number, line: number): TaskSpec => ({
      id,
      title,
      description: r.description,
      type,
      typeReason,
      priority,
      status,
      dependsOn: deps.slice(),
      estimateMinutes,
      files,
      acceptanceCriteria: r.acceptanceCriteria,
      requirementId: r.id,
      requirementTitle: r.title,
      agent,
      verify,
      source: { file, line },
    });
    if (r.items.length === 0) {
      tasks.push(make(r.id, r.title, 'pending', reqEstimate ?? defaultEstimateMinutes, r.line));
      continue;
    }
    let openCount = 0;
    for (const it of r.items) if (!it.done) openCount++;
    const share = reqEstimate !== undefined && openCount > 0 ? reqEstimate / openCount : undefined;
    for (let k = 0; k < r.items.length; k++) {
      const item = r.items[k]!;
      tasks.push(make(`${r.id}.${k + 1}`, item.text, item.done ? 'done' : 'pending', item.estimateMinutes ?? share ?? defaultEstimateMinutes, item.line));
    }
  }
  return { tasks, requirementDeps, requirementLines };
}

function resolveReference(ref: string, lookup: (key: string) => RequirementSection | undefined, doc: RequirementsDoc) {
  const key = ref.toLowerCase();
  const direct = lookup(key) ?? lookup(slugify(ref));
  if (direct) return { target: direct, itemId: undefined };
  // `ID.N` names one checklist item.
  const m = /^(.+)\.(\d+)$/.exec(ref);
  if (m) {
    const r = lookup(m[1]!.toLowerCase());
    const n = Number(m[2]);
    if (r && n >= 1 && n <= r.items.length) return { target: r, itemId: `${r.id}.${n}` };
  }
  // An item's own text also names it.
  for (const r of doc.requirements) {
    const k = r.items.findIndex((it) => it.text.toLowerCase() === key);
    if (k >= 0) return { target: r, itemId: `${r.id}.${k + 1}` };
  }
  return { target: undefined, itemId: undefined };
}

function suggest(ref: string, doc: RequirementsDoc): string {
  const needle = slugify(ref);
  // A typo of an id or of a title's slug ("Paymnts" -> payments), else a word of a longer title.
  const byName = new Map<string, string>();
  for (const r of doc.requirements) {
    byName.set(r.id, r.id);
    byName.set(slugify(r.title), r.id);
  }
  const typos = closeIds(needle, [...byName.keys()], 6).map((name) => byName.get(name)!);
  const words = doc.requirements.filter((r) => needle.length > 3 && slugify(r.title).includes(needle)).map((r) => r.id);
  const close = [...new Set([...typos, ...words])];
  const list = (close.length ? close : doc.requirements.map((r) => r.id)).slice(0, 6);
  return ` (${close.length ? 'did you mean' : 'known ids'}: ${list.join(', ')})`;
}

function parsePriority(r: RequirementSection, file: string): Priority {
  const meta = r.meta.priority;
  if (!meta) return 'medium';
  const v = meta.value.trim().toLowerCase();
  if ((PRIORITIES as readonly string[]).includes(v)) return v as Priority;
  const alias = PRIORITY_ALIASES[v];
  if (alias) return alias;
  throw new SourceError(file, meta.line, `invalid priority "${meta.value}": expected ${PRIORITIES.join(', ')}`);
}

function resolveType(r: RequirementSection, file: string) {
  const meta = r.meta.type;
  if (meta) {
    const type = normalizeType(meta.value);
    if (!type) throw new SourceError(file, meta.line, `invalid type "${meta.value}": expected feature, bug_fix, refactor, docs, test, deployment or interface`);
    return { type, typeReason: `"Type: ${meta.value}" at ${file}:${meta.line}` };
  }
  const { type, reason } = inferType(r.title, r.description);
  return { type, typeReason: reason };
}

function parseMetaEstimate(r: RequirementSection, file: string): number | undefined {
  const meta = r.meta.estimate;
  if (!meta) return undefined;
  const minutes = parseEstimate(meta.value);
  if (minutes === undefined) throw new SourceError(file, meta.line, `invalid estimate "${meta.value}": use a number with a unit, e.g. 30m, 2h or 1d (8 hours)`);
  return minutes;
}

function unique<T>(xs: T[]): T[] {
  // Dependency lists are short: a scan beats building a Set for each of 100k requirements.
  if (xs.length > 16) return [...new Set(xs)];
  const out: T[] = [];
  for (const x of xs) if (!out.includes(x)) out.push(x);
  return out;
}
