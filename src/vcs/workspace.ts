/** The git side of a run, behind an interface so runs without a repository (simulate, codegen) skip it. */
import type { TaskSpec } from '../core/task.js';
import type { VerifyResult } from './run-verify.js';

export interface RunWorkspaceInfo {
  /** The run's integration branch (`weft/run-<id>`). */
  branch: string;
  baseBranch: string;
}

export interface AttemptWorkspace {
  worktree: string;
  branch: string;
}

/** What an attempt produced, for memory and dependents' prompts. */
export interface AttemptChanges {
  filesChanged: string[];
  commits: string[];
}

/** The check after an attempt (see Workspace.guardAttempt). */
export interface AttemptGuard {
  check(opts: { agentSucceeded: boolean }): Promise<void>;
}

export interface IntegrateOptions {
  /** Resolves only while the caller holds the task's current lease (the store's fencing token); throws otherwise. */
  fence?: () => Promise<void>;
}

/** Thrown by a fence: this process no longer holds the task, so it must not integrate. */
export class LeaseLostError extends Error {
  constructor(taskId: string) {
    super(`the lease on task ${taskId} is gone (another attempt holds it): not integrating`);
    this.name = 'LeaseLostError';
  }
}

export interface Workspace {
  /** Creates (or, on resume, finds) the run's integration branch from the base branch. */
  prepareRun(runId: string, baseBranch?: string | null): Promise<RunWorkspaceInfo>;
  /** A fresh worktree and branch for one attempt, from the integration branch's current tip. */
  prepareAttempt(runId: string, task: TaskSpec, attempt: number): Promise<AttemptWorkspace>;
  /**
   * After the agent: commits what it left uncommitted, accepts its own commits, and throws
   * AgentError('agent', 'agent made no changes') when the branch has nothing new.
   */
  collectChanges(runId: string, task: TaskSpec, ws: AttemptWorkspace): Promise<AttemptChanges>;
  /**
   * Right before the agent starts: records what it must not change (refs other than its branch, the
   * user's checkout). The returned check throws AgentError('violation') naming what changed, and, when
   * the agent succeeded, AgentError('agent') for an unfinished merge/rebase or conflict markers. Optional.
   */
  guardAttempt?(runId: string, ws: AttemptWorkspace): Promise<AttemptGuard>;
  /** Runs the quality gate in the worktree and reports how it went (the engine decides what a failure means). */
  verify(ws: AttemptWorkspace, command: string, signal: AbortSignal, log?: (chunk: string) => void): Promise<VerifyResult>;
  /**
   * Merges the attempt's branch into the integration branch, one at a time; throws AgentError('conflict')
   * naming files. The branch moves only by compare-and-swap, right after `fence` confirmed (and
   * extended) this attempt's lease; a `fence` that throws leaves the branch untouched.
   */
  integrate(runId: string, task: TaskSpec, ws: AttemptWorkspace, opts?: IntegrateOptions): Promise<void>;
  /**
   * Removes a worktree after success, with the worktrees of the task's earlier attempts (never later
   * ones: they belong to an attempt that replaced this one); keeps it after failure.
   */
  releaseAttempt(ws: AttemptWorkspace, succeeded: boolean): Promise<void>;
  /** Removes the worktrees of a task's attempts numbered below `attempt` (after a recovered attempt). Optional. */
  removeEarlierAttempts?(runId: string, task: TaskSpec, attempt: number): Promise<void>;
  /** At the end of a run: removes the run's own leftover worktrees (not failed attempts' kept ones). Optional. */
  finishRun?(runId: string): Promise<void>;
  /**
   * After a crash between integrating an attempt and recording it: an earlier attempt of the task
   * (numbered below `beforeAttempt`) whose branch was already merged into the integration branch,
   * with what it changed; null when there is none.
   */
  findIntegratedAttempt?(runId: string, task: TaskSpec, beforeAttempt: number): Promise<(AttemptChanges & { attempt: number }) | null>;
}
