/** Workflow rows the store keeps (seed 004): definitions, workflow runs, step instances, webhook deliveries. */
import type { Json, Lease } from './records.js';
import type { ErrorCategory } from './records.js';
import type { StepKind } from '../workflow/definition.js';

/** Every status a step instance can have. `waiting` is a wait for an approval or an event (never claimed). */
export const STEP_STATUSES = ['pending', 'running', 'waiting', 'succeeded', 'failed', 'skipped', 'cancelled'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** Step statuses after which an instance never changes again. */
export const TERMINAL_STEP_STATUSES: readonly StepStatus[] = ['succeeded', 'failed', 'skipped', 'cancelled'];

/** Statuses of a workflow run (the same words as a run's). */
export const WORKFLOW_RUN_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type WorkflowRunStatus = (typeof WORKFLOW_RUN_STATUSES)[number];

/** A stored workflow definition. */
export interface WorkflowRecord {
  id: string;
  name: string;
  description: string | null;
  /** The YAML as written. */
  source: string;
  /** Where it was read from, when it came from a file. */
  file: string | null;
  /** The validated definition. */
  definition: Json;
  createdAt: number;
  updatedAt: number;
}

/** One execution of a workflow. */
export interface WorkflowRunRecord {
  id: string;
  workflowId: string | null;
  name: string;
  status: WorkflowRunStatus;
  inputs: { [key: string]: Json };
  /** The definition and every workflow it `uses:`, frozen when the run was created. */
  definition: Json;
  /** What started it: `{ kind: 'manual' }`, `{ kind: 'webhook', event, delivery }`, `{ kind: 'schedule', cron, tick }`, `{ kind: 'task' }`. */
  trigger: Json;
  /** The repository `run` steps get a worktree of, and `plan`/agent steps run against. */
  repo: string | null;
  error: string | null;
  cancelRequested: boolean;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

export type NewWorkflowRun = Omit<WorkflowRunRecord, 'status' | 'error' | 'cancelRequested' | 'startedAt' | 'finishedAt'>;

/** One instance of a step: `deploy`, `each/#2/deploy`, `loop/#0/probe`. */
export interface StepRecord {
  runId: string;
  key: string;
  stepId: string;
  parentKey: string | null;
  kind: StepKind;
  status: StepStatus;
  /** Creation order within the run. */
  seq: number;
  attempts: number;
  failedAttempts: number;
  lease: Lease | null;
  notBefore: number | null;
  /** Planner and executor notes kept across restarts (frozen `foreach` items, a `plan` step's run id, ...). */
  state: { [key: string]: Json };
  output: Json;
  error: string | null;
  errorCategory: ErrorCategory | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  updatedAt: number;
}

/** What the planner asks to create. */
export interface NewStep {
  key: string;
  stepId: string;
  parentKey: string | null;
  kind: StepKind;
  status: StepStatus;
  state: { [key: string]: Json };
  notBefore: number | null;
  output?: Json;
  error?: string | null;
}

/** How a step instance ended. */
export interface StepEnd {
  status: 'succeeded' | 'failed' | 'skipped' | 'cancelled';
  output?: Json;
  error?: string | null;
  category?: ErrorCategory | null;
}

/** A claimed leaf step with its fencing token. */
export interface StepClaim {
  step: StepRecord;
  token: number;
}

/** A received webhook delivery, kept once per delivery id. */
export interface DeliveryRecord {
  id: string;
  event: string;
  receivedAt: number;
  /** Workflow runs it started. */
  runIds: string[];
}

export interface StepFilter {
  runId?: string;
  kind?: StepKind;
  status?: StepStatus;
  limit?: number;
}
