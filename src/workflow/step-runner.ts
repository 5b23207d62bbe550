/** What a leaf step's runner gets and returns; one runner per leaf kind (src/workflow/steps/). */
import type { ErrorCategory, Json } from '../store/records.js';
import type { RawStep } from './definition.js';
import type { ExprContext } from './expressions.js';

/** A step failure with the category that decides retries (same categories as task attempts). */
export class StepError extends Error {
  constructor(
    readonly category: ErrorCategory,
    message: string,
    readonly output: Json = null,
  ) {
    super(message);
    this.name = 'StepError';
  }
}

export interface StepContext {
  runId: string;
  key: string;
  step: RawStep;
  /** What `${{ … }}` sees here: inputs, steps, item/index/iteration. */
  expr: ExprContext;
  /** The instance's stored state (kept across restarts). */
  state: { [key: string]: Json };
  /** Merges keys into the stored state, fenced by the lease; false when the lease is lost. */
  setState(patch: { [key: string]: Json }): Promise<boolean>;
  /** The workflow run's repository (null when none was given and the directory is not one). */
  repo: string | null;
  /** A worktree of `repo` for this workflow run (created on first use). */
  worktree(): Promise<string>;
  signal: AbortSignal;
  log(line: string): void;
}

/** A runner either finishes (output), or asks to be polled again later (a wait that is not over). */
export type StepResult = { kind: 'done'; output: Json } | { kind: 'poll'; notBefore: number; state?: { [key: string]: Json } };

/** Runs one kind of leaf step. */
export type StepRunner = (ctx: StepContext) => Promise<StepResult>;

/** The StepError category of an unexpected error. */
export function categoryOf(err: unknown): ErrorCategory {
  if (err instanceof StepError) return err.category;
  const code = (err as { code?: unknown }).code;
  if (code === 'invalid_input' || code === 'not_found') return 'validation';
  return 'agent';
}
