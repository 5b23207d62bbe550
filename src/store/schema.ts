/**
 * Kysely table types. Times are epoch milliseconds (bigint columns read back as numbers), JSON is
 * text, and booleans are 0/1 integers so both dialects bind and read them the same way.
 */
import type { Generated, Insertable, Selectable } from 'kysely';
import type { PullRequestsTable } from './pr-schema.js';
import type { WorkflowTables } from './workflow-schema.js';

export interface PlansTable {
  id: string;
  title: string;
  source: string;
  created_at: number;
  /** The whole Plan as JSON text. */
  plan: string;
}

export interface RunsTable {
  id: string;
  plan_id: string | null;
  title: string;
  status: string;
  agent: string;
  concurrency: number;
  max_attempts: number;
  repo: string | null;
  base_branch: string | null;
  branch: string | null;
  /** JSON object. */
  options: string;
  error: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  cancel_requested: number;
  /** RunReason (migration 0006). */
  reason: string | null;
  /** JSON array of BackendPause (migration 0006). */
  pauses: string | null;
}

export interface TasksTable {
  run_id: string;
  id: string;
  /** Position in the plan, so a run lists its tasks in plan order. */
  seq: number;
  /** Copy of the run's created_at: lets findTasks page across runs from one index. */
  run_created_at: number;
  title: string;
  type: string;
  priority: string;
  /** PRIORITY_RANK of `priority`, the claim order's second key. */
  priority_rank: number;
  status: string;
  /** JSON array of task ids. */
  depends_on: string;
  tail_minutes: number;
  phase: number | null;
  estimate_minutes: number;
  /** The TaskSpec as JSON. */
  spec: string;
  agent: string | null;
  branch: string | null;
  pr_url: string | null;
  error: string | null;
  failed_attempts: Generated<number>;
  attempt_count: Generated<number>;
  lease_owner: string | null;
  /** Highest fencing token issued; 0 before the first claim. */
  lease_token: Generated<number>;
  lease_expires_at: number | null;
  not_before: number | null;
  cancel_requested: Generated<number>;
  /** JSON, NULL for null. */
  result: string | null;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
  /** 1 while the task's pull request has to merge before its dependents may start. */
  merge_wait: Generated<number>;
}

export interface TaskDepsTable {
  run_id: string;
  task_id: string;
  depends_on: string;
}

export interface AttemptsTable {
  run_id: string;
  task_id: string;
  number: number;
  status: string;
  worker_id: string;
  token: number;
  started_at: number;
  finished_at: number | null;
  error_category: string | null;
  error: string | null;
  output: string | null;
  result: string | null;
  /** Usage the agent reported (migration 0005); the numbers are columns so totals are one SUM. */
  input_tokens: number | null;
  output_tokens: number | null;
  cached_input_tokens: number | null;
  cost_usd: number | null;
  turns: number | null;
  model: string | null;
  session_id: string | null;
  /** The agent's process as JSON `{ pid, host }` (migration 0008). */
  process: string | null;
  /** Bounded tail of the verify command's output (migration 0009). */
  verify_output: string | null;
}

export interface EventsTable {
  id: Generated<number>;
  run_id: string | null;
  task_id: string | null;
  type: string;
  at: number;
  data: string | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  actor: string;
  method: string;
  path: string;
  status: number;
  body: string | null;
}

export interface MemoryTable {
  id: Generated<number>;
  run_id: string;
  task_id: string;
  title: string;
  summary: string;
  source: string;
  created_at: number;
}

/** The whole database as Kysely sees it. */
export interface Database extends WorkflowTables {
  plans: PlansTable;
  runs: RunsTable;
  tasks: TasksTable;
  task_deps: TaskDepsTable;
  attempts: AttemptsTable;
  events: EventsTable;
  pull_requests: PullRequestsTable;
  audit_log: AuditLogTable;
  memory: MemoryTable;
}

export type PlanRow = Selectable<PlansTable>;
export type RunRow = Selectable<RunsTable>;
export type TaskRow = Selectable<TasksTable>;
export type NewTaskRow = Insertable<TasksTable>;
export type AttemptRow = Selectable<AttemptsTable>;
export type EventRow = Selectable<EventsTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type MemoryRow = Selectable<MemoryTable>;
