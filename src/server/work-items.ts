/**
 * Work the API creates outside a requirements document: an ad-hoc task is a one-task run (so the
 * engine, leases, retries and reports apply unchanged), and a retry is a new run of what did not
 * succeed, starting from the old run's integration branch.
 */
import { ConflictError, NotFoundError } from '../core/errors.js';
import type { Priority, TaskSpec, TaskType } from '../core/task.js';
import { readRunSettings } from '../engine/run-settings.js';
import { analyzePlan } from '../plan/analyze-plan.js';
import { inferType } from '../plan/infer-type.js';
import type { RunRecord, TaskRecord } from '../store/records.js';
import type { Weft } from '../weft.js';
import { assertApiAgent } from './api-agent.js';

export interface AdhocTaskInput {
  title: string;
  description: string;
  type?: TaskType | undefined;
  priority: Priority;
  estimateMinutes: number;
  acceptanceCriteria: string[];
  files: string[];
  agent?: string | undefined;
  repo?: string | undefined;
  baseBranch?: string | undefined;
  context?: string | undefined;
}

/** Title prefix of the one-task runs that hold ad-hoc tasks. */
export const ADHOC_PREFIX = 'ad-hoc: ';

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48).replace(/-+$/, '') || 'task';
}

/** Stores an ad-hoc task as a run of its own (not started). */
export async function createAdhocTask(weft: Weft, input: AdhocTaskInput): Promise<TaskRecord> {
  if (input.agent) assertApiAgent(input.agent, weft.config, 'agent');
  const inferred = input.type ? { type: input.type, reason: 'given in the request' } : inferType(input.title, input.description);
  const spec: TaskSpec = {
    id: slug(input.title),
    title: input.title,
    description: input.description,
    type: inferred.type,
    typeReason: inferred.reason,
    priority: input.priority,
    status: 'pending',
    dependsOn: [],
    estimateMinutes: input.estimateMinutes,
    files: input.files,
    acceptanceCriteria: input.acceptanceCriteria,
    requirementId: 'ad-hoc',
    requirementTitle: input.title,
    agent: input.agent,
    source: { file: 'api', line: 1 },
  };
  const plan = analyzePlan({ title: `${ADHOC_PREFIX}${input.title}`, context: input.context ?? '', tasks: [spec], source: 'api' });
  const run = await weft.createRun(plan, { ...(input.agent ? { agent: input.agent } : {}), ...(input.repo ? { repo: input.repo } : {}), ...(input.baseBranch ? { baseBranch: input.baseBranch } : {}) });
  const task = await weft.store.getTask(run.id, spec.id);
  if (!task) throw new Error(`task ${spec.id} of run ${run.id} vanished`);
  return task;
}

/**
 * Stores a new run of `old`'s tasks that did not succeed: succeeded ones are carried over as done,
 * and a run with an integration branch is continued from it, so finished work is not redone.
 */
export async function createRetryRun(weft: Weft, old: RunRecord): Promise<RunRecord> {
  const tasks = await weft.store.listTasks(old.id);
  const again = tasks.filter((t) => t.status !== 'succeeded' && t.status !== 'done');
  if (again.length === 0) throw new ConflictError(`run ${old.id}: every task succeeded, nothing to retry`, { runId: old.id });
  const live = tasks.filter((t) => t.status === 'running');
  if (live.length) throw new ConflictError(`run ${old.id} still has running tasks (${live.map((t) => t.id).join(', ')}): cancel it or wait`, { runId: old.id });
  const settings = readRunSettings(old.options);
  const specs: TaskSpec[] = tasks.map((t) => ({ ...t.spec, status: t.status === 'succeeded' || t.status === 'done' ? 'done' : 'pending' }));
  const title = `${old.title.replace(/ \(retry of [0-9a-z]+\)$/, '')} (retry of ${old.id})`;
  const plan = analyzePlan({ title, context: settings.context, tasks: specs, source: settings.source });
  return weft.createRun(plan, {
    agent: old.agent,
    concurrency: old.concurrency,
    maxAttempts: old.maxAttempts,
    repo: old.repo,
    baseBranch: old.branch ?? old.baseBranch,
    verify: settings.verify,
    timeoutMinutes: settings.timeoutMs / 60_000,
    merge: settings.merge,
    planId: old.planId,
  });
}

/** The task a ref names; NotFoundError naming the ref. */
export async function requireTask(weft: Weft, runId: string, taskId: string): Promise<TaskRecord> {
  const task = await weft.store.getTask(runId, taskId);
  if (!task) throw new NotFoundError(`no task ${taskId} in run ${runId}`, { runId, taskId });
  return task;
}

/** The run an id names; NotFoundError otherwise. */
export async function requireRun(weft: Weft, runId: string): Promise<RunRecord> {
  const run = await weft.store.getRun(runId);
  if (!run) throw new NotFoundError(`no run with id "${runId}"`, { runId });
  return run;
}

