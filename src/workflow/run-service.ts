/** What `plan` and agent `task` steps need from weft's run pipeline; the composition root (src/weft.ts) provides it. */
import type { Json } from '../store/records.js';

export interface PlanRunRequest {
  title: string;
  /** A requirements file (relative to `cwd`), or the requirements text itself. */
  file?: string | undefined;
  text?: string | undefined;
  cwd: string;
  repo: string | null;
  agent?: string | undefined;
  concurrency?: number | undefined;
  maxAttempts?: number | undefined;
  verify?: string | undefined;
  pr?: boolean | undefined;
  merge?: boolean | undefined;
}

export interface TaskRunRequest {
  title: string;
  prompt: string;
  type: string;
  repo: string | null;
  agent?: string | undefined;
}

/** A finished (or stopped) weft run, as a step's output. */
export interface RunSummary {
  runId: string;
  status: string;
  branch: string | null;
  counts: { [status: string]: number };
  tasks: { id: string; status: string; branch: string | null; prUrl: string | null; summary: string | null }[];
  [key: string]: Json;
}

/** Weft runs on behalf of workflow steps: the whole existing pipeline, nothing second. */
export interface WorkflowRuns {
  createPlanRun(req: PlanRunRequest): Promise<string>;
  createTaskRun(req: TaskRunRequest): Promise<string>;
  /** Executes (or resumes) a run; `signal` aborted with `shutdown` stops it for a later resume, `cancelled` cancels it. */
  executeRun(runId: string, opts: { resumed: boolean; signal: AbortSignal }): Promise<RunSummary>;
}
