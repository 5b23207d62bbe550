/** The workflow part of the store (seed 004). KyselyWorkflowStore implements it on SQLite and Postgres. */
import type { Json } from './records.js';
import type {
  DeliveryRecord,
  NewStep,
  NewWorkflowRun,
  StepClaim,
  StepEnd,
  StepFilter,
  StepRecord,
  WorkflowRecord,
  WorkflowRunRecord,
  WorkflowRunStatus,
} from './workflow-records.js';

export type WorkflowRunPatch = Partial<{ status: WorkflowRunStatus; startedAt: number | null; finishedAt: number | null; error: string | null }>;

export interface WorkflowStore {
  /** Inserts or replaces a definition (same id = a new version; runs keep the one they started with). */
  saveWorkflow(w: Omit<WorkflowRecord, 'createdAt' | 'updatedAt'>, now: number): Promise<WorkflowRecord>;
  getWorkflow(id: string): Promise<WorkflowRecord | undefined>;
  listWorkflows(): Promise<WorkflowRecord[]>;

  createWorkflowRun(run: NewWorkflowRun): Promise<WorkflowRunRecord>;
  getWorkflowRun(id: string): Promise<WorkflowRunRecord | undefined>;
  /** Newest first. */
  listWorkflowRuns(opts?: { workflowId?: string; status?: WorkflowRunStatus; limit?: number }): Promise<WorkflowRunRecord[]>;
  updateWorkflowRun(id: string, patch: WorkflowRunPatch): Promise<void>;
  /** Marks a run for cancellation (executors see it at their next look); false when it has already ended. */
  requestWorkflowCancel(id: string): Promise<boolean>;

  listSteps(runId: string): Promise<StepRecord[]>;
  getStep(runId: string, key: string): Promise<StepRecord | undefined>;
  /** Steps across runs (newest run first), e.g. every `task` step. */
  findSteps(filter: StepFilter): Promise<StepRecord[]>;
  /** Creates instances whose key is new; returns the keys this call created (others' inserts are left alone). */
  insertSteps(runId: string, steps: NewStep[], now: number): Promise<string[]>;
  /**
   * Ends an instance that has not ended yet. With `token`, only the holder of that lease may (a leaf's
   * completion is recorded once); without, only an instance nobody holds (groups, waits, skips). True when this call ended it.
   */
  finishStep(runId: string, key: string, end: StepEnd, now: number, token?: number): Promise<boolean>;
  /** Claims the first pending leaf whose `notBefore` has passed: running, a new fencing token, one more attempt. */
  claimStep(runId: string, workerId: string, leaseMs: number, now: number): Promise<StepClaim | undefined>;
  /** Extends a lease while `token` is current; reports whether the run is being cancelled. */
  heartbeatStep(runId: string, key: string, token: number, leaseMs: number, now: number): Promise<{ ok: boolean; cancelRequested: boolean }>;
  /**
   * Returns a claimed step to `pending`, not claimable before `notBefore` (a retry, or a wait that polls).
   * `failed` counts the attempt as a failure. False when `token` is no longer current.
   */
  releaseStep(runId: string, key: string, token: number, opts: { notBefore: number | null; failed?: { error: string; category: string } }, now: number): Promise<boolean>;
  /** Merges keys into a held step's state (e.g. a `plan` step's run id, before that run starts). */
  setStepState(runId: string, key: string, token: number, state: { [key: string]: Json }, now: number): Promise<boolean>;
  /** Running steps whose lease expired (or whose owner is gone) go back to `pending`; returns their keys. */
  reclaimSteps(runId: string, now: number, isOwnerGone?: (owner: string) => boolean): Promise<string[]>;
  /** Steps in `waiting` (approvals, events) of unfinished runs. */
  listWaitingSteps(): Promise<StepRecord[]>;

  /** Records a delivery id once: true the first time, false for a redelivery. */
  recordDelivery(id: string, event: string, now: number): Promise<boolean>;
  setDeliveryRuns(id: string, runIds: string[]): Promise<void>;
  getDelivery(id: string): Promise<DeliveryRecord | undefined>;
  /** Claims one schedule tick of a workflow: true for exactly one caller across processes. */
  claimTick(workflowId: string, tickAt: number, now: number): Promise<boolean>;
  setTickRun(workflowId: string, tickAt: number, runId: string): Promise<void>;
}
