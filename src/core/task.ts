/** Task vocabulary shared by the planner, the store, the engine and the API. */

export const TASK_TYPES = ['feature', 'bug_fix', 'refactor', 'docs', 'test', 'deployment', 'interface'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

export const PRIORITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** Lower rank = more urgent; used as a scheduling tie-breaker. */
export const PRIORITY_RANK: Readonly<Record<Priority, number>> = { critical: 0, high: 1, medium: 2, low: 3 };

/**
 * Every status a task can have. `done` is work the document marks finished (`- [x]`):
 * it is never dispatched. The rest belong to a run's lifecycle.
 */
export const TASK_STATUSES = ['pending', 'ready', 'running', 'succeeded', 'failed', 'blocked', 'cancelled', 'done'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Statuses after which a task never runs again in its run. */
export const TERMINAL_TASK_STATUSES: readonly TaskStatus[] = ['succeeded', 'failed', 'blocked', 'cancelled', 'done'];

/** Statuses that satisfy a dependent's dependency. */
export const SATISFYING_STATUSES: readonly TaskStatus[] = ['succeeded', 'done'];

/** Where a piece of the input came from, for error messages and `--explain`. */
export interface SourceLocation {
  file: string;
  line: number;
}

/** One atomic unit of work, as planned from the requirements document. */
export interface TaskSpec {
  id: string;
  title: string;
  /** Markdown prose describing the work. */
  description: string;
  type: TaskType;
  /** Why the type was chosen (explicit metadata or the inference rule that fired). */
  typeReason: string;
  priority: Priority;
  /** `done` when the document marks the item finished; otherwise `pending`. */
  status: 'pending' | 'done';
  dependsOn: string[];
  estimateMinutes: number;
  files: string[];
  acceptanceCriteria: string[];
  /** The `##` requirement this task came from. */
  requirementId: string;
  requirementTitle: string;
  /** Agent backend override from an `Agent:` metadata line. */
  agent?: string | undefined;
  /** Quality gate for this task from a `Verify:` line (REQUIREMENTS.md or its STRUCTURE.md component); overrides the run's `--verify`. */
  verify?: string | undefined;
  source: SourceLocation;
  /** Why the planner added dependencies or the task itself (shown by `--explain`). */
  notes?: string[] | undefined;
  /** A prompt written elsewhere (`weft execute-queries`), given to the agent as is instead of a template's. */
  prompt?: string | undefined;
}

/** Per-task analysis attached by the planner. */
export interface TaskAnalysis {
  /** 1-based phase (level); null for done tasks. */
  phase: number | null;
  earliestStartMinutes: number;
  slackMinutes: number;
  critical: boolean;
  /** Longest path from the start of this task to the end of the plan, own estimate included. */
  tailMinutes: number;
}

export type PlannedTask = TaskSpec & TaskAnalysis;

/** The task graph with its schedule analysis. */
export interface Plan {
  title: string;
  /** Project context (the prose under the `#` title), given to every task. */
  context: string;
  tasks: PlannedTask[];
  phases: string[][];
  criticalPath: string[];
  criticalPathMinutes: number;
  /** Sum of estimates over open tasks. */
  totalMinutes: number;
  source: string;
}
