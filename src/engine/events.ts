/** Typed lifecycle events. The terminal progress view, the logs, the store and the dashboard all listen to these. */
import { EventEmitter } from 'node:events';
import type { ErrorCategory, RunReason } from '../store/records.js';

export interface EngineEventMap {
  'run.started': { runId: string; title: string; tasks: number; concurrency: number; resumed: boolean };
  'task.started': { runId: string; taskId: string; title: string; attempt: number; agent: string };
  'task.output': { runId: string; taskId: string; attempt: number; chunk: string };
  'attempt.failed': { runId: string; taskId: string; attempt: number; category: ErrorCategory; message: string; willRetry: boolean };
  'retry.scheduled': { runId: string; taskId: string; attempt: number; delayMs: number };
  'task.succeeded': { runId: string; taskId: string; attempt: number; durationMs: number; prUrl: string | null };
  'task.failed': { runId: string; taskId: string; attempt: number; category: ErrorCategory; message: string };
  'task.blocked': { runId: string; taskId: string; by: string };
  'task.cancelled': { runId: string; taskId: string };
  'task.reclaimed': { runId: string; taskId: string };
  'backend.paused': { runId: string; backend: string; untilMs: number; reason: string };
  /** The run's cost budget is spent: no new attempt starts, running ones finish, the run ends failed (reason `budget`). */
  'budget.exhausted': { runId: string; spentUsd: number; maxCostUsd: number; running: number };
  'run.merged': { runId: string; branch: string; baseBranch: string };
  'run.finished': { runId: string; status: string; succeeded: number; failed: number; blocked: number; cancelled: number; durationMs: number; reason?: RunReason | null };
  // Workflows (src/workflow): `runId` is the workflow run's id, `taskId` the step instance's key (`each/#2/deploy`).
  'workflow.started': { runId: string; workflowId: string | null; name: string; resumed: boolean };
  'step.started': { runId: string; taskId: string; stepId: string; kind: string; attempt: number };
  'step.waiting': { runId: string; taskId: string; stepId: string; kind: string; reason: string };
  'step.retry': { runId: string; taskId: string; attempt: number; category: ErrorCategory; message: string; delayMs: number };
  'step.finished': { runId: string; taskId: string; stepId: string; kind: string; status: string; error: string | null };
  'workflow.finished': { runId: string; status: string; error: string | null; durationMs: number };
}

export type EngineEventName = keyof EngineEventMap;

/** An EventEmitter whose event names and payloads are checked by the compiler. */
export class EngineEvents extends EventEmitter<{ [K in EngineEventName]: [EngineEventMap[K]] }> {}
