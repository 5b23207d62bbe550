/** Reads a workflow YAML file into a validated definition; every error names file:line and the key. */
import { readFile } from 'node:fs/promises';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { InputError, SourceError } from '../core/errors.js';
import { childSteps, stepKind, workflowSchema, type RawStep, type WorkflowDef } from './definition.js';
import { parseExpression, templateExpressions } from './expressions.js';
import { checkCron, schedulesOf } from './scheduler.js';

/** Parses and validates YAML text; `file` is only used in messages. */
export function parseWorkflow(text: string, file = 'workflow.yaml'): WorkflowDef {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const lineAt = (offset: number | undefined) => (offset === undefined ? 1 : lc.linePos(offset).line);
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new SourceError(file, lineAt(e.pos[0]), e.message.split('\n')[0]!);
  }
  const lineOf = (path: (string | number)[]) => nodeLine(doc, path, lineAt);
  const parsed = workflowSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    throw new SourceError(file, lineOf(path), `${keyName(doc, path)}: ${issue.message}`, { path: path.join('.') });
  }
  validate(parsed.data, (path, message) => {
    throw new SourceError(file, lineOf(path), `${keyName(doc, path)}: ${message}`, { path: path.join('.') });
  });
  return parsed.data;
}

/** Reads and parses a workflow file. */
export async function readWorkflowFile(path: string): Promise<{ def: WorkflowDef; source: string }> {
  let source: string;
  try {
    source = await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read workflow file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return { def: parseWorkflow(source, path), source };
}

/** The line of the deepest node that exists along `path`. */
function nodeLine(doc: Document, path: (string | number)[], lineAt: (o: number | undefined) => number): number {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return lineAt(node.range[0]);
  }
  return 1;
}

/** A readable key: `steps[2] (deploy).run` style. */
function keyName(doc: Document, path: (string | number)[]): string {
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const p = path[i]!;
    if (typeof p === 'number') {
      const idv = doc.getIn([...path.slice(0, i + 1), 'id']);
      out += `[${p}]${typeof idv === 'string' ? ` (${idv})` : ''}`;
    } else out += out ? `.${p}` : p;
  }
  return out || '(top level)';
}

type Report = (path: (string | number)[], message: string) => never;

/** Rules the schema cannot say: unique ids, `needs` naming earlier-or-sibling steps, no cycles, expressions that parse. */
function validate(def: WorkflowDef, report: Report): void {
  const seen = new Set<string>();
  const walk = (steps: RawStep[], path: (string | number)[]) => {
    const ids = new Set(steps.map((s) => s.id));
    steps.forEach((s, i) => {
      const here = [...path, i];
      if (seen.has(s.id)) report([...here, 'id'], `step id "${s.id}" is used twice`);
      seen.add(s.id);
      for (const [j, need] of (s.needs ?? []).entries()) {
        if (!ids.has(need)) report([...here, 'needs', j], `"${need}" is not a step of this list (needs name sibling steps)`);
        if (need === s.id) report([...here, 'needs', j], 'a step cannot need itself');
      }
      const exprs: [string[], string][] = [];
      if (s.if) exprs.push([['if'], s.if]);
      if (s.until) exprs.push([['until', 'condition'], s.until.condition]);
      if (typeof s.foreach?.items === 'string') exprs.push([['foreach', 'items'], s.foreach.items.replace(/^\$\{\{\s*|\s*\}\}$/g, '')]);
      for (const [key, value] of Object.entries(s)) {
        if (key === 'if' || key === 'id' || key === 'needs' || key === 'parallel' || key === 'sequence' || key === 'foreach' || key === 'until') continue;
        for (const t of collectTemplates(value)) exprs.push([[key], t]);
      }
      for (const [key, text] of exprs) {
        try {
          parseExpression(text);
        } catch (err) {
          report([...here, ...key], (err as Error).message);
        }
      }
      const kind = stepKind(s);
      if (kind === 'parallel' || kind === 'sequence') walk(childSteps(s), [...here, kind]);
      if (kind === 'foreach' || kind === 'until') walk(childSteps(s), [...here, kind, 'steps']);
    });
    // Cycles among siblings' needs.
    const byId = new Map(steps.map((s, i) => [s.id, { s, i }]));
    const state = new Map<string, 1 | 2>();
    const visit = (id: string, trail: string[]): void => {
      if (state.get(id) === 2) return;
      if (state.get(id) === 1) report([...path, byId.get(id)!.i, 'needs'], `needs form a cycle: ${[...trail.slice(trail.indexOf(id)), id].join(' -> ')}`);
      state.set(id, 1);
      for (const n of byId.get(id)?.s.needs ?? []) if (byId.has(n)) visit(n, [...trail, id]);
      state.set(id, 2);
    };
    for (const s of steps) visit(s.id, []);
  };
  walk(def.steps, ['steps']);
  const schedules = schedulesOf(def);
  schedules.forEach((pattern, i) => {
    const why = checkCron(pattern);
    if (why) report(['on', 'schedule', ...(Array.isArray(def.on?.schedule) ? [i] : [])], `bad cron pattern "${pattern}": ${why}`);
  });
}

function collectTemplates(v: unknown): string[] {
  if (typeof v === 'string') return templateExpressions(v);
  if (Array.isArray(v)) return v.flatMap(collectTemplates);
  if (v && typeof v === 'object') return Object.values(v).flatMap(collectTemplates);
  return [];
}
