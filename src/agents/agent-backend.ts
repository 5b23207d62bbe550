/** The agent backend interface: something that takes a prompt (and maybe a worktree) and changes code. */
import type { TaskSpec } from '../core/task.js';
import type { AgentUsage } from '../core/usage.js';
import type { ErrorCategory, Json } from '../store/records.js';

export interface AgentRequest {
  runId: string;
  task: TaskSpec;
  /** 1-based attempt number. */
  attempt: number;
  prompt: string;
  /** The attempt's git worktree; null for backends that need none (simulate, codegen). */
  worktree: string | null;
  /** The attempt's branch; null without a worktree. */
  branch: string | null;
  /** Aborted on cancellation or timeout; backends must stop promptly and throw. */
  signal: AbortSignal;
  /** Receives the agent's output as it comes (kept in the task's log). */
  log: (chunk: string) => void;
  /** A local agent process started: its pid, which is also its process group id (recorded so `resume` can end a survivor). */
  onProcess?: (pid: number) => void;
}

/** What one attempt consumed (defined in core so the store and the views share it). */
export type { AgentUsage };

export interface AgentResult {
  /** Tokens and cost of this attempt, where the agent reports them. */
  usage?: AgentUsage;
  /** What the agent says it did (fed to dependents' prompts). */
  summary?: string;
  /** Bounded tail of the agent's output. */
  output?: string;
  /** A pull request the agent opened itself (hosted agents). */
  prUrl?: string;
  /** Where a human can watch the agent's run. */
  webUrl?: string;
  /** Backend-specific facts worth keeping (cost, turns, ids). */
  data?: { [key: string]: Json };
}

/** A failed attempt, with the category that decides whether it is retried. */
export class AgentError extends Error {
  readonly category: ErrorCategory;
  /** The backend asks to wait at least this long before trying again (HTTP Retry-After). */
  readonly retryAfterMs: number | undefined;
  readonly output: string | undefined;
  readonly data: { [key: string]: Json } | undefined;
  /** What the failed attempt consumed (failed attempts cost money too). */
  readonly usage: AgentUsage | undefined;
  /** A usage limit with a reset time: the backend pauses until then (epoch ms). */
  readonly pausedUntil: number | undefined;
  /** The verify command's output when verify failed the attempt (kept on the attempt as `verifyOutput`). */
  readonly verifyOutput: string | undefined;
  constructor(
    category: ErrorCategory,
    message: string,
    extra: {
      retryAfterMs?: number;
      output?: string;
      data?: { [key: string]: Json };
      usage?: AgentUsage;
      pausedUntil?: number;
      verifyOutput?: string;
    } = {},
  ) {
    super(message);
    this.name = 'AgentError';
    this.category = category;
    this.retryAfterMs = extra.retryAfterMs;
    this.output = extra.output;
    this.data = extra.data;
    this.usage = extra.usage;
    this.pausedUntil = extra.pausedUntil;
    this.verifyOutput = extra.verifyOutput;
  }
}

export interface AgentBackend {
  /** Name used in logs, routing and the circuit breaker (one breaker per backend). */
  readonly name: string;
  /** Whether the backend edits a local worktree (command agents) or works remotely (codegen, simulate). */
  readonly needsWorktree: boolean;
  /** Runs one attempt; resolves when the agent finished, throws AgentError when it failed. */
  run(request: AgentRequest): Promise<AgentResult>;
}
