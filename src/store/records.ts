/** Rows the store keeps, as plain data. Times are epoch milliseconds; the API formats them as ISO 8601. */
import type { Priority, TaskSpec, TaskStatus, TaskType } from '../core/task.js';
import type { AgentUsage } from '../core/usage.js';

export const RUN_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Why a run ended the way it did, when the tasks' statuses alone do not say (`budget`: its --max-cost was spent). */
export const RUN_REASONS = ['budget'] as const;
export type RunReason = (typeof RUN_REASONS)[number];

/** An agent backend that stops taking attempts until `until` (a usage limit, an open circuit breaker). */
export interface BackendPause {
  backend: string;
  /** Epoch ms. */
  until: number;
  reason: string;
}

export const ATTEMPT_STATUSES = ['running', 'succeeded', 'failed', 'interrupted', 'cancelled'] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

/** Why an attempt failed. The first group is retryable; auth, quota and validation fail at once. */
export const ERROR_CATEGORIES = [
  'network',
  'rate_limit',
  'server',
  'timeout',
  'agent',
  'conflict',
  'auth',
  'quota',
  'validation',
  'cancelled',
  'interrupted',
  // A pull request's checks failed or a reviewer asked for changes: the next attempt gets that as feedback.
  'checks_failed',
  'changes_requested',
  // The agent was refused the edits it needed (Claude Code's permission_denials) and changed nothing.
  'permission',
  // The agent touched what it must not: another ref, the user's checkout, files outside its worktree,
  // or it left a merge/rebase unfinished or conflict markers behind.
  'violation',
  // The run's cost budget is spent: no new attempt starts.
  'budget',
] as const;
export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];
// `permission` is retried: the next prompt names the denied tool calls, so the agent can take another way.
export const RETRYABLE_CATEGORIES: readonly ErrorCategory[] = ['network', 'rate_limit', 'server', 'timeout', 'agent', 'conflict', 'interrupted', 'permission'];

/** JSON-serializable value kept in a JSON column. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface SavedPlan {
  id: string;
  title: string;
  source: string;
  createdAt: number;
  /** The whole `Plan` as JSON. */
  plan: Json;
}

export interface RunRecord {
  id: string;
  planId: string | null;
  title: string;
  status: RunStatus;
  /** Default agent backend for the run's tasks. */
  agent: string;
  concurrency: number;
  maxAttempts: number;
  repo: string | null;
  baseBranch: string | null;
  /** The run's integration branch. */
  branch: string | null;
  /** Run options that the engine needs on resume (verify command, timeouts, ...). */
  options: { [key: string]: Json };
  error: string | null;
  /** Why the run ended as it did, beyond its tasks' statuses (migration 0006). */
  reason: RunReason | null;
  /** Backends paused while the run executes (usage limits with a reset time); latest per backend. */
  pauses: BackendPause[];
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  cancelRequested: boolean;
}

export interface NewRun {
  id: string;
  planId?: string | null;
  title: string;
  agent: string;
  concurrency: number;
  maxAttempts: number;
  repo?: string | null;
  baseBranch?: string | null;
  branch?: string | null;
  options?: { [key: string]: Json };
  createdAt: number;
}

export interface Lease {
  owner: string;
  token: number;
  expiresAt: number;
}

export interface TaskRecord {
  runId: string;
  id: string;
  title: string;
  type: TaskType;
  priority: Priority;
  status: TaskStatus;
  dependsOn: string[];
  /** Scheduling key: longest path from this task to the end of the plan, in minutes. */
  tailMinutes: number;
  phase: number | null;
  estimateMinutes: number;
  /** The planned task in full (description, criteria, files, ...). */
  spec: TaskSpec;
  agent: string | null;
  branch: string | null;
  prUrl: string | null;
  error: string | null;
  /** Attempts that ended in failure (interrupted attempts do not count). */
  failedAttempts: number;
  /** Number of the latest attempt, 0 before the first. */
  attemptCount: number;
  /** Highest fencing token ever issued for this task; a completion must present the current one. */
  lease: Lease | null;
  /** A retry waits until this time. */
  notBefore: number | null;
  cancelRequested: boolean;
  result: Json;
  startedAt: number | null;
  finishedAt: number | null;
  updatedAt: number;
}

/** What run figures and the ETA need of a task: no spec, no result (a slim read of a whole run). */
export type TaskState = Pick<TaskRecord, 'id' | 'status' | 'dependsOn' | 'estimateMinutes' | 'priority' | 'startedAt' | 'finishedAt'>;

/** What the ETA needs of an attempt: its times, not its output. */
export type AttemptTime = Pick<AttemptRecord, 'taskId' | 'number' | 'status' | 'startedAt' | 'finishedAt'>;

export interface NewTask {
  spec: TaskSpec;
  tailMinutes: number;
  phase: number | null;
}

export interface AttemptRecord {
  runId: string;
  taskId: string;
  number: number;
  status: AttemptStatus;
  workerId: string;
  token: number;
  startedAt: number;
  finishedAt: number | null;
  errorCategory: ErrorCategory | null;
  error: string | null;
  /** Bounded tail of the agent's output. */
  output: string | null;
  result: Json;
  /** Tokens, cost, turns, model and session the agent reported for this attempt; null when it said nothing. */
  usage: AgentUsage | null;
  /** The local agent process (its pid is its process group), recorded when it started; null for hosted agents. */
  process: AttemptProcess | null;
  /** Bounded tail of the verify command's output (null when no verify ran), pass or fail. */
  verifyOutput: string | null;
}

/** Where an attempt's agent process runs: `weft resume` on that host ends it if it survived its weft. */
export interface AttemptProcess {
  /** Process id, which is also the process group id. */
  pid: number;
  host: string;
}

/** What a worker reports at the end of an attempt. The engine decides retries; the store applies them. */
export type AttemptOutcome =
  | { kind: 'succeeded'; result?: Json; output?: string | null; usage?: AgentUsage; verifyOutput?: string | null }
  | {
      kind: 'failed';
      category: ErrorCategory;
      message: string;
      /** When to retry; null means the task has failed for good. */
      retryAt: number | null;
      output?: string | null;
      result?: Json;
      usage?: AgentUsage;
      verifyOutput?: string | null;
    }
  | { kind: 'cancelled'; message: string; output?: string | null; usage?: AgentUsage };

export interface Claim {
  task: TaskRecord;
  attempt: AttemptRecord;
  token: number;
}

export interface CompletionResult {
  task: TaskRecord;
  /** Tasks that became ready because this one succeeded. */
  unblocked: string[];
  /** Tasks that became blocked because this one failed or was cancelled for good. */
  blocked: string[];
}

export interface HeartbeatResult {
  /** False when the lease was lost (another claim holds a newer token, or the task ended). */
  ok: boolean;
  cancelRequested: boolean;
}

export interface EventRecord {
  id: number;
  runId: string | null;
  taskId: string | null;
  type: string;
  at: number;
  data: Json;
}

export interface NewEvent {
  runId: string | null;
  taskId: string | null;
  type: string;
  at: number;
  data: Json;
}

export interface TaskFilter {
  runId?: string;
  status?: TaskStatus;
  priority?: Priority;
  type?: TaskType;
  /** Opaque cursor from a previous page. */
  cursor?: string;
  limit: number;
}

export interface TaskPage {
  tasks: TaskRecord[];
  nextCursor: string | null;
}

/** One mutating API call, as the audit log keeps it. */
export interface AuditRecord {
  id: number;
  at: number;
  /** Who: the API token's name (never the token itself), or `anonymous` when auth is off. */
  actor: string;
  method: string;
  path: string;
  status: number;
  /** A short, redacted summary of the request body. */
  body: string | null;
}

export type NewAudit = Omit<AuditRecord, 'id'>;

/** What a finished task produced, kept for later prompts and searches. */
export interface MemoryRecord {
  id: number;
  runId: string;
  taskId: string;
  title: string;
  summary: string;
  /** Who added it: `engine`, `api`, or a planner id. */
  source: string;
  createdAt: number;
}

export type NewMemory = Omit<MemoryRecord, 'id'>;
