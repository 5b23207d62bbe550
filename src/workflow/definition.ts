/** Workflow definitions (seed 004): the step kinds, their YAML shape as a zod schema, and the parsed types. */
import { z } from 'zod';
import type { Json } from '../store/records.js';

/** Leaf kinds: one unit of work each, claimed and executed under a lease. */
export const LEAF_KINDS = ['run', 'task', 'http', 'wait', 'plan'] as const;
export type LeafKind = (typeof LEAF_KINDS)[number];

/** Group kinds: containers the planner opens and closes from their children's states. */
export const GROUP_KINDS = ['parallel', 'sequence', 'foreach', 'until', 'uses', 'iteration'] as const;
export type GroupKind = (typeof GROUP_KINDS)[number];

export type StepKind = LeafKind | GroupKind;

/** Keys that pick a step's kind (`iteration` rows are made by the planner, never written). */
export const KIND_KEYS = ['run', 'task', 'http', 'wait', 'plan', 'parallel', 'sequence', 'foreach', 'until', 'uses'] as const;

/** Task types weft knows by name; any other `snake_case` name is allowed and goes to its handler. */
export const KNOWN_TASK_TYPES = [
  'feature', 'bug_fix', 'refactor', 'docs', 'test', 'deployment', 'interface',
  'code_analysis', 'code_generation', 'code_review', 'testing', 'documentation', 'command', 'http',
] as const;

const json: z.ZodType<Json> = z.lazy(() => z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(json), z.record(z.string(), json)]));
const duration = z.union([z.string().regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/, 'a duration like 30s, 5m, 2h'), z.number().nonnegative()]);
const id = z.string().regex(/^[A-Za-z][\w-]{0,63}$/, 'letters, digits, - and _, starting with a letter');

const runSpec = z.union([
  z.array(z.string()).min(1),
  z.string().regex(/^\s*\$\{\{[\s\S]*\}\}\s*$/, 'a list of arguments, or one ${{ expression }} that gives one'),
  z.strictObject({ argv: z.array(z.string()).min(1), cwd: z.string().optional(), env: z.record(z.string(), z.string()).optional() }),
]);
const httpSpec = z.strictObject({
  url: z.string(),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  body: json.optional(),
});
const taskSpec = z.strictObject({
  type: z.string().regex(/^[a-z][a-z0-9_]*$/, 'a snake_case task type').optional(),
  name: z.string().optional(),
  prompt: z.string().optional(),
  agent: z.string().optional(),
  input: json.optional(),
});
const planSpec = z.strictObject({
  file: z.string().optional(),
  text: z.string().optional(),
  agent: z.string().optional(),
  concurrency: z.number().int().min(1).optional(),
  maxAttempts: z.number().int().min(1).optional(),
  verify: z.string().optional(),
  pr: z.boolean().optional(),
  merge: z.boolean().optional(),
});
const waitSpec = z.strictObject({
  duration: duration.optional(),
  until: z.string().optional(),
  approval: z.union([z.boolean(), z.strictObject({ message: z.string().optional() })]).optional(),
  event: z.string().optional(),
  match: z.record(z.string(), json).optional(),
  pr: z.string().optional(),
  runs: z.array(z.string()).optional(),
});

/** A step as written (one kind key, plus the common keys). */
export interface RawStep {
  id: string;
  name?: string | undefined;
  needs?: string[] | undefined;
  if?: string | undefined;
  maxAttempts?: number | undefined;
  timeout?: string | number | undefined;
  run?: z.infer<typeof runSpec> | undefined;
  task?: z.infer<typeof taskSpec> | undefined;
  http?: z.infer<typeof httpSpec> | undefined;
  plan?: z.infer<typeof planSpec> | undefined;
  wait?: z.infer<typeof waitSpec> | undefined;
  parallel?: RawStep[] | undefined;
  sequence?: RawStep[] | undefined;
  foreach?: { items: string | Json[]; concurrency?: number | undefined; steps: RawStep[] } | undefined;
  until?: { condition: string; max: number; steps: RawStep[] } | undefined;
  uses?: string | undefined;
  with?: Record<string, Json> | undefined;
}

const step: z.ZodType<RawStep> = z.lazy(() =>
  z
    .strictObject({
      id,
      name: z.string().optional(),
      needs: z.array(z.string()).optional(),
      if: z.string().optional(),
      maxAttempts: z.number().int().min(1).max(100).optional(),
      timeout: duration.optional(),
      run: runSpec.optional(),
      task: taskSpec.optional(),
      http: httpSpec.optional(),
      plan: planSpec.optional(),
      wait: waitSpec.optional(),
      parallel: z.array(step).min(1).optional(),
      sequence: z.array(step).min(1).optional(),
      foreach: z.strictObject({ items: z.union([z.string(), z.array(json)]), concurrency: z.number().int().min(1).optional(), steps: z.array(step).min(1) }).optional(),
      until: z.strictObject({ condition: z.string(), max: z.number().int().min(1).max(1000), steps: z.array(step).min(1) }).optional(),
      uses: z.string().optional(),
      with: z.record(z.string(), json).optional(),
    })
    .superRefine((s, ctx) => {
      const kinds = KIND_KEYS.filter((k) => s[k] !== undefined);
      if (kinds.length !== 1) {
        ctx.addIssue({ code: 'custom', message: kinds.length === 0 ? `a step needs one of: ${KIND_KEYS.join(', ')}` : `a step has exactly one kind, got ${kinds.join(' and ')}` });
      }
      if (s.with !== undefined && s.uses === undefined) ctx.addIssue({ code: 'custom', path: ['with'], message: '`with` goes with `uses`' });
      if (s.wait) {
        const ways = (['duration', 'until', 'approval', 'event', 'pr', 'runs'] as const).filter((k) => s.wait![k] !== undefined);
        if (ways.length !== 1) ctx.addIssue({ code: 'custom', path: ['wait'], message: 'a wait has exactly one of: duration, until, approval, event, pr, runs' });
      }
      if (s.task && !s.task.type && !s.task.prompt) ctx.addIssue({ code: 'custom', path: ['task'], message: 'a task needs a `type` (for a handler) or a `prompt` (for an agent)' });
      if (s.plan && !s.plan.file && !s.plan.text) ctx.addIssue({ code: 'custom', path: ['plan'], message: 'a plan step needs `file` or `text`' });
    }),
);

const inputDef = z.strictObject({
  type: z.enum(['string', 'number', 'boolean', 'array', 'object']).default('string'),
  description: z.string().optional(),
  default: json.optional(),
  required: z.boolean().optional(),
});
export type InputDef = z.infer<typeof inputDef>;

const branchFilter = z.strictObject({ branches: z.array(z.string()).optional() });
const triggersSchema = z.strictObject({
  push: z.union([z.null(), branchFilter]).optional(),
  pull_request: z.union([z.null(), z.strictObject({ actions: z.array(z.string()).optional(), branches: z.array(z.string()).optional() })]).optional(),
  issues: z.union([z.null(), z.strictObject({ actions: z.array(z.string()).optional(), labels: z.array(z.string()).optional() })]).optional(),
  issue_comment: z.union([z.null(), z.strictObject({ prefix: z.string().optional() })]).optional(),
  schedule: z.union([z.string(), z.array(z.union([z.string(), z.strictObject({ cron: z.string() })]))]).optional(),
  manual: z.boolean().optional(),
});
export type Triggers = z.infer<typeof triggersSchema>;

/** The whole file. */
export const workflowSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  inputs: z.record(z.string().regex(/^[A-Za-z_][\w]*$/, 'an identifier'), inputDef).optional(),
  on: triggersSchema.optional(),
  concurrency: z.number().int().min(1).max(64).optional(),
  maxAttempts: z.number().int().min(1).max(100).optional(),
  steps: z.array(step).min(1),
});

/** A validated workflow definition. */
export type WorkflowDef = z.infer<typeof workflowSchema>;

/** The kind of a step (its one kind key). */
export function stepKind(s: RawStep): Exclude<StepKind, 'iteration'> {
  const k = KIND_KEYS.find((key) => s[key] !== undefined);
  if (!k) throw new Error(`step ${s.id} has no kind`);
  return k;
}

/** Children of a group step as written (empty for leaves and `uses`). */
export function childSteps(s: RawStep): RawStep[] {
  return s.parallel ?? s.sequence ?? s.foreach?.steps ?? s.until?.steps ?? [];
}

/** Milliseconds of a duration (`30s`, `5m`, a number of seconds). */
export function durationMs(d: string | number): number {
  if (typeof d === 'number') return d * 1000;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(d);
  if (!m) throw new Error(`bad duration ${d}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(m[1]) * unit);
}
