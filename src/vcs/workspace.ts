/** The git side of a run, behind an interface so runs without a repository (simulate, codegen) skip it. */
import type { TaskSpec } from '../core/task.js';

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
  /** Runs the quality gate in the worktree; throws AgentError('agent', ...) with the output's tail on failure. */
  verify(ws: AttemptWorkspace, command: string, signal: AbortSignal): Promise<void>;
  /** Merges the attempt's branch into the integration branch, one at a time; throws AgentError('conflict') naming files. */
  integrate(runId: string, task: TaskSpec, ws: AttemptWorkspace): Promise<void>;
  /** Removes a worktree after success; keeps it after failure unless `force`. */
  releaseAttempt(ws: AttemptWorkspace, succeeded: boolean): Promise<void>;
  /** At the end of a run: removes the run's own leftover worktrees (not failed attempts' kept ones). Optional. */
  finishRun?(runId: string): Promise<void>;
  /**
   * After a crash between integrating an attempt and recording it: an earlier attempt of the task
   * (numbered below `beforeAttempt`) whose branch was already merged into the integration branch,
   * with what it changed; null when there is none.
   */
  findIntegratedAttempt?(runId: string, task: TaskSpec, beforeAttempt: number): Promise<(AttemptChanges & { attempt: number }) | null>;
}
