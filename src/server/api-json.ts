/** Store records -> the API's JSON shapes (times as ISO 8601, tasks named RUN_ID:TASK_ID). */
import { iso } from '../engine/run-status.js';
import type { AttemptRecord, MemoryRecord, TaskRecord } from '../store/records.js';
import { formatTaskRef } from './task-ref.js';

/** The summary an agent gave for a finished task, if any. */
export function taskSummary(task: TaskRecord): string | null {
  const r = task.result;
  return r && typeof r === 'object' && !Array.isArray(r) && typeof r.summary === 'string' ? r.summary : null;
}

/** A task as `GET /api/v1/tasks` lists it. */
export function taskToApi(t: TaskRecord) {
  return {
    id: formatTaskRef(t.runId, t.id),
    runId: t.runId,
    taskId: t.id,
    title: t.title,
    description: t.spec.description,
    type: t.type,
    priority: t.priority,
    status: t.status,
    dependsOn: t.dependsOn,
    estimateMinutes: t.estimateMinutes,
    phase: t.phase,
    agent: t.agent,
    branch: t.branch,
    prUrl: t.prUrl,
    error: t.error,
    summary: taskSummary(t),
    attempts: t.attemptCount,
    failedAttempts: t.failedAttempts,
    acceptanceCriteria: t.spec.acceptanceCriteria,
    files: t.spec.files,
    startedAt: iso(t.startedAt),
    finishedAt: iso(t.finishedAt),
    updatedAt: iso(t.updatedAt) ?? new Date(0).toISOString(),
  };
}

const OUTPUT_TAIL = 4000;

/** An attempt with the end of its output. */
export function attemptToApi(a: AttemptRecord) {
  return {
    number: a.number,
    status: a.status,
    workerId: a.workerId,
    startedAt: iso(a.startedAt) ?? new Date(0).toISOString(),
    finishedAt: iso(a.finishedAt),
    errorCategory: a.errorCategory,
    error: a.error,
    outputTail: a.output === null ? null : a.output.slice(-OUTPUT_TAIL),
    usage: a.usage,
    verifyOutput: a.verifyOutput,
  };
}

/** A memory entry. */
export function memoryToApi(m: MemoryRecord) {
  return {
    runId: m.runId,
    taskId: m.taskId,
    task: formatTaskRef(m.runId, m.taskId),
    title: m.title,
    summary: m.summary,
    source: m.source,
    createdAt: iso(m.createdAt) ?? new Date(0).toISOString(),
  };
}

/** What a finished task leaves in memory: the agent's summary and the files it changed. */
export function memoryText(t: TaskRecord): string {
  const r = t.result && typeof t.result === 'object' && !Array.isArray(t.result) ? t.result : {};
  const summary = typeof r.summary === 'string' && r.summary ? r.summary : `${t.title}: ${t.status}`;
  const files = Array.isArray(r.filesChanged) ? r.filesChanged.filter((f): f is string => typeof f === 'string') : [];
  const pr = typeof r.prUrl === 'string' ? r.prUrl : t.prUrl;
  return [summary, files.length ? `Files changed: ${files.slice(0, 50).join(', ')}` : '', pr ? `PR: ${pr}` : ''].filter(Boolean).join('\n');
}
