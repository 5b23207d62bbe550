/**
 * The data a prompt template sees. Task text only ever reaches Liquid as variable
 * values, never as template source, so `{{ }}` or `{% %}` in a requirement is printed, not run.
 */

import type { Plan, PlannedTask } from '../core/task.js';
import type { AttemptFeedback, PromptOptions, TaskMemory } from './prompt-types.js';
import { dependentsOf } from './task-lookup.js';

/** A task mentioned by another task's prompt. */
export interface TaskRefVariables {
  id: string;
  title: string;
  type: string;
}

export interface DependencyVariables extends TaskRefVariables {
  description: string;
  /** What the dependency produced, from memory; empty when it has not run (or is not remembered). */
  summary: string;
  files_changed: string[];
  commits: string[];
}

export interface FeedbackVariables {
  attempt: number;
  category: string;
  message: string;
  output_tail: string;
  conflict_files: string[];
}

/** Everything a template can use; names are snake_case, as is usual in Liquid. */
export interface PromptVariables {
  task: {
    id: string;
    title: string;
    type: string;
    /** `bug_fix` -> `bug fix`. */
    type_label: string;
    priority: string;
    description: string;
    acceptance_criteria: string[];
    files: string[];
    requirement_id: string;
    requirement_title: string;
    estimate_minutes: number;
    critical: boolean;
    phase: number | null;
  };
  project: { title: string; context: string };
  /** This attempt's number: 1, or one more than the failed attempt in `feedback`. */
  attempt: number;
  dependencies: DependencyVariables[];
  dependents: TaskRefVariables[];
  transitive_dependents: TaskRefVariables[];
  feedback: FeedbackVariables | null;
  code_context: string;
  /** Signatures of the task's files and their neighbours, most relevant first. */
  repo_map: string;
  related_files: Array<{ path: string; relation: string; lang: string; content: string }>;
  dependency_manifest: string;
  /** Whether the type's best-practice steps are shown. */
  best_practices: boolean;
  extra_instructions: string;
  /** Labels of what the budget left out; the header turns them into a note. */
  trimmed: string[];
}

/** Gathers the variables for one task's prompt (pure: no I/O). */
export function buildPromptVariables(plan: Plan, task: PlannedTask, options: PromptOptions = {}): PromptVariables {
  const byId = new Map(plan.tasks.map((t) => [t.id, t]));
  const { direct, transitive } = dependentsOf(plan, task.id);
  return {
    task: {
      id: task.id,
      title: task.title,
      type: task.type,
      type_label: task.type.replace(/_/g, ' '),
      priority: task.priority,
      description: task.description.trim(),
      acceptance_criteria: [...task.acceptanceCriteria],
      files: [...task.files],
      requirement_id: task.requirementId,
      requirement_title: task.requirementTitle,
      estimate_minutes: task.estimateMinutes,
      critical: task.critical,
      phase: task.phase,
    },
    project: { title: plan.title, context: plan.context.trim() },
    attempt: options.feedback ? options.feedback.attempt + 1 : 1,
    dependencies: task.dependsOn.map((id) => dependencyVariables(id, byId.get(id), recall(options.memory, id))),
    dependents: direct.map(ref),
    transitive_dependents: transitive.map(ref),
    feedback: options.feedback ? feedbackVariables(options.feedback) : null,
    code_context: [options.codeContext?.trim() ?? '', options.repoContext?.examples.trim() ?? ''].filter((t) => t !== '').join('\n\n'),
    repo_map: options.repoContext?.repoMap.trim() ?? '',
    related_files: (options.repoContext?.relatedFiles ?? []).map((f) => ({ ...f })),
    dependency_manifest: options.repoContext?.manifest.trim() ?? '',
    best_practices: options.bestPractices ?? true,
    extra_instructions: options.extraInstructions?.trim() ?? '',
    trimmed: [],
  };
}

function ref(task: PlannedTask): TaskRefVariables {
  return { id: task.id, title: task.title, type: task.type };
}

function dependencyVariables(id: string, task: PlannedTask | undefined, memory: TaskMemory | undefined): DependencyVariables {
  return {
    id,
    // A dangling id is the planner's error to report; the prompt still names it.
    title: task?.title ?? '(not in the plan)',
    type: task?.type ?? '',
    description: task?.description.trim() ?? '',
    summary: memory?.summary.trim() ?? '',
    files_changed: [...(memory?.filesChanged ?? [])],
    commits: [...(memory?.commits ?? [])],
  };
}

function feedbackVariables(feedback: AttemptFeedback): FeedbackVariables {
  return {
    attempt: feedback.attempt,
    category: feedback.category,
    message: feedback.message.trim(),
    output_tail: feedback.outputTail?.replace(/^\n+|\s+$/g, '') ?? '',
    conflict_files: [...(feedback.conflictFiles ?? [])],
  };
}

function recall(memory: PromptOptions['memory'], id: string): TaskMemory | undefined {
  if (memory === undefined) return undefined;
  if (memory instanceof Map) return memory.get(id);
  // Own properties only: a task called `constructor` must not find Object.prototype's.
  const record = memory as Readonly<Record<string, TaskMemory>>;
  return Object.hasOwn(record, id) ? record[id] : undefined;
}
