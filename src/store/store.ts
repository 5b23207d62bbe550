/** The persistence interface. SQLite and Postgres implement it; one conformance suite tests both. */
import type { Plan, TaskSpec, TaskStatus } from '../core/task.js';
import type { UsageTotals } from '../core/usage.js';
import type {
  AttemptOutcome,
  AttemptRecord,
  AttemptTime,
  AuditRecord,
  Claim,
  CompletionResult,
  EventRecord,
  HeartbeatResult,
  Json,
  MemoryRecord,
  NewAudit,
  NewEvent,
  NewMemory,
  NewRun,
  NewTask,
  RunRecord,
  SavedPlan,
  TaskFilter,
  TaskPage,
  TaskRecord,
  TaskState,
  AttemptProcess,
} from './records.js';
import type {
  PrReactionKind,
  PullRequestFilter,
  PullRequestInput,
  PullRequestPatch,
  PullRequestRecord,
  PullRequestStats,
  ReopenFeedback,
} from './pr-records.js';
import type { WorkflowStore } from './workflow-store.js';

export type RunPatch = Partial<Pick<RunRecord, 'status' | 'startedAt' | 'finishedAt' | 'branch' | 'error' | 'baseBranch' | 'reason' | 'pauses' | 'options'>>;
export type TaskPatch = Partial<Pick<TaskRecord, 'branch' | 'prUrl' | 'result' | 'agent'>>;

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  /** Workflows (seed 004): definitions, workflow runs, step instances, deliveries, schedule ticks. */
  readonly workflows: WorkflowStore;
  /** Brings the schema up to date; safe to call on every start. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  savePlan(plan: Plan, meta: { id: string; source: string; createdAt: number }): Promise<SavedPlan>;
  getPlan(id: string): Promise<SavedPlan | undefined>;
  listPlans(limit?: number): Promise<SavedPlan[]>;

  /**
   * Creates a run and its tasks in one transaction. Tasks whose spec status is `done` are stored as
   * `done`; open tasks whose dependencies are all satisfied start `ready`, the others `pending`.
   */
  createRun(run: NewRun, tasks: NewTask[]): Promise<RunRecord>;
  getRun(id: string): Promise<RunRecord | undefined>;
  /** The most recently created run. */
  latestRun(): Promise<RunRecord | undefined>;
  listRuns(limit?: number): Promise<RunRecord[]>;
  updateRun(id: string, patch: RunPatch): Promise<void>;

  listTasks(runId: string): Promise<TaskRecord[]>;
  getTask(runId: string, taskId: string): Promise<TaskRecord | undefined>;
  /** Filtered, cursor-paginated listing across runs (newest run first, then task id). */
  findTasks(filter: TaskFilter): Promise<TaskPage>;
  updateTask(runId: string, taskId: string, patch: TaskPatch): Promise<void>;
  listAttempts(runId: string, taskId?: string): Promise<AttemptRecord[]>;
  /** Records the agent process of the attempt numbered `attempt` (no-op when there is no such attempt). */
  recordAttemptProcess(runId: string, taskId: string, attempt: number, process: AttemptProcess): Promise<void>;
  /** A run's tasks reduced to state, dependencies, estimate and times, in plan order (for figures and the ETA). */
  listTaskStates(runId: string): Promise<TaskState[]>;
  /** A run's attempts reduced to their times and status, without their output. */
  listAttemptTimes(runId: string): Promise<AttemptTime[]>;

  /**
   * Atomically claims the best ready task of a run whose `notBefore` has passed: longest
   * `tailMinutes` first, then priority, then id. Marks it running, issues a new fencing token,
   * opens an attempt and returns it; undefined when nothing is claimable now.
   */
  claimNext(runId: string, workerId: string, leaseMs: number, now: number): Promise<Claim | undefined>;
  /**
   * Claims up to `max` of the best ready tasks at once, as `claimNext` would one by one (each with its
   * own fencing token and attempt), in scheduling order; fewer (or none) when fewer are claimable.
   */
  claimBatch(runId: string, workerId: string, max: number, leaseMs: number, now: number): Promise<Claim[]>;
  /** Extends a lease if `token` is still current. Reports whether cancellation was requested. */
  /**
   * Gives back a claim whose attempt never started (its backend is paused): the attempt is removed and
   * the attempt count restored, so no attempt is used up; the task is `ready` again, not claimable before
   * `notBefore` (or `cancelled` when that was requested meanwhile). The fencing token stays spent.
   * False when `token` is not current (nothing changes).
   */
  releaseClaim(runId: string, taskId: string, token: number, notBefore: number, now: number): Promise<boolean>;
  heartbeat(runId: string, taskId: string, token: number, leaseMs: number, now: number): Promise<HeartbeatResult>;
  /**
   * Ends the current attempt. Throws ConflictError when `token` is not current (the result is
   * discarded). Success readies dependents whose dependencies are all satisfied; a final failure or
   * cancellation blocks all transitive dependents that have not finished. A failure with a
   * `retryAt` returns the task to `ready`, not claimable before that time.
   */
  completeAttempt(runId: string, taskId: string, token: number, outcome: AttemptOutcome, now: number): Promise<CompletionResult>;
  /**
   * Returns running tasks whose lease expired (or whose owner `isOwnerGone` says is dead) to
   * `ready`, recording their attempt as `interrupted`. Returns the ids reclaimed. With
   * `maxInterruptions`, a task whose attempts were interrupted that many times fails instead (a task
   * that kills its worker each time must not loop for ever) and its dependents are blocked.
   */
  reclaimExpired(runId: string, now: number, isOwnerGone?: (owner: string) => boolean, opts?: { maxInterruptions?: number }): Promise<string[]>;
  /**
   * Cancels a whole run (taskId undefined) or one task: tasks not started become `cancelled` at once
   * (their dependents `blocked`); running ones get `cancelRequested`, which the worker sees at its next
   * heartbeat. Returns the ids cancelled at once.
   */
  requestCancel(runId: string, taskId: string | undefined, now: number): Promise<string[]>;

  appendEvents(events: NewEvent[]): Promise<void>;
  /** Events in id order, after `afterId` when given. */
  listEvents(opts: { runId?: string; afterId?: number; limit?: number }): Promise<EventRecord[]>;
  /** The id of the newest event, 0 when there is none (where a live event stream starts). */
  lastEventId(): Promise<number>;

  /** How many tasks have each status, over one run or every run (statuses with no task are left out). */
  countTasks(runId?: string): Promise<Partial<Record<TaskStatus, number>>>;
  /** Tokens, cost and turns summed over the attempts of one run, or of every run (failed attempts count too). */
  usageTotals(runId?: string): Promise<UsageTotals>;
  /**
   * Replaces the spec of a task that has not started (pending or ready): title, description, type,
   * priority, estimate, agent, files, criteria. Id and dependencies cannot change (InputError); a task
   * that is running or finished cannot be edited (ConflictError). Returns the updated task.
   */
  updateTaskSpec(runId: string, taskId: string, spec: TaskSpec): Promise<TaskRecord>;

  /** Records one mutating API call. */
  appendAudit(entry: NewAudit): Promise<void>;
  /** Audit entries newest first, before `beforeId` when given. */
  listAudit(opts?: { beforeId?: number; limit?: number }): Promise<AuditRecord[]>;

  /** Remembers what a finished task produced; one entry per task (a second call replaces it). */
  addMemory(entry: NewMemory): Promise<MemoryRecord>;
  /** Memory entries whose title or summary contains `q` (case-insensitive), newest first; all when `q` is empty. */
  searchMemory(q: string, limit?: number): Promise<MemoryRecord[]>;

  // Pull requests (src/forge): one record per head branch of a run.

  /** Inserts a PR or updates the one with the same run and head branch (fields left out keep their value). */
  upsertPullRequest(pr: PullRequestInput): Promise<PullRequestRecord>;
  /** Changes a PR's tracked state; NotFoundError when the run has no PR with that head. */
  updatePullRequest(runId: string, head: string, patch: PullRequestPatch): Promise<void>;
  /** The newest PR of a task. */
  getPullRequest(runId: string, taskId: string): Promise<PullRequestRecord | undefined>;
  /** PRs newest first, optionally of one run and/or in one state. */
  listPullRequests(filter?: PullRequestFilter): Promise<PullRequestRecord[]>;
  /** The newest PR with this number, preferring one of `repo`. */
  findPullRequestByNumber(number: number, repo?: string | null): Promise<PullRequestRecord | undefined>;
  /** The newest PR with this head branch. */
  findPullRequestByHead(head: string): Promise<PullRequestRecord | undefined>;
  /**
   * Marks reaction `key` as applied to a PR unless it was the last one applied (so a repeated event
   * reacts once), bumping `kind`'s counter. True when this call applied it.
   */
  recordPullRequestReaction(runId: string, head: string, key: string, kind: PrReactionKind | null, now: number): Promise<boolean>;
  /** Totals, counts by state, success rate and mean time to merge, over one run or all runs. */
  pullRequestStats(runId?: string): Promise<PullRequestStats>;
  /** Deletes merged or closed PR records last updated before `cutoff`; returns how many. */
  deletePullRequestsBefore(cutoff: number): Promise<number>;

  /**
   * While `waiting`, a task counts as unfinished for its dependents (its PR has to merge first).
   * Clearing it readies the dependents that were only waiting for this; returns their ids.
   */
  setMergeWait(runId: string, taskId: string, waiting: boolean, now: number): Promise<string[]>;
  /** Tasks of a run that wait for their PR to merge. */
  listMergeWaits(runId: string): Promise<string[]>;
  /**
   * Gives a finished (succeeded or failed) task a new attempt because of its pull request: records a
   * failed attempt carrying `feedback` (what the next attempt's prompt shows) and makes the task ready.
   * Returns that attempt, or undefined when the task is not finished (nothing changes).
   */
  reopenTask(runId: string, taskId: string, feedback: ReopenFeedback, now: number): Promise<AttemptRecord | undefined>;
  /**
   * Cancels a task whose result was rejected (its PR closed without merging): a succeeded or not-started
   * task becomes `cancelled` and its unfinished dependents `blocked`; a running one gets `cancelRequested`.
   * Returns the ids blocked.
   */
  withdrawTask(runId: string, taskId: string, reason: string, now: number): Promise<string[]>;
}

export type { Json };
