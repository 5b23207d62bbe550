/** A workflow run and its steps as JSON, the same for `weft workflow status --json` and `GET /api/v1/workflow-runs/:id`. */
import type { Json } from '../store/records.js';
import type { StepRecord, StepStatus, WorkflowRunRecord, WorkflowRunStatus } from '../store/workflow-records.js';

/** One step instance as JSON. */
export interface StepJson {
  key: string;
  id: string;
  parent: string | null;
  kind: string;
  status: StepStatus;
  attempts: number;
  output: Json;
  error: string | null;
  errorCategory: string | null;
  waitingFor: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

/** A workflow run as JSON. */
export interface WorkflowRunJson {
  id: string;
  workflowId: string | null;
  name: string;
  status: WorkflowRunStatus;
  inputs: { [key: string]: Json };
  trigger: Json;
  error: string | null;
  cancelRequested: boolean;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  steps?: StepJson[];
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/** A run (and its steps) as the CLI's and the API's JSON. */
export function runJson(run: WorkflowRunRecord, steps: StepRecord[] | null): WorkflowRunJson {
  return {
    id: run.id,
    workflowId: run.workflowId,
    name: run.name,
    status: run.status,
    inputs: run.inputs,
    trigger: run.trigger,
    error: run.error,
    cancelRequested: run.cancelRequested,
    createdAt: new Date(run.createdAt).toISOString(),
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    ...(steps
      ? {
          steps: steps.map((s) => ({
            key: s.key,
            id: s.stepId,
            parent: s.parentKey,
            kind: s.kind,
            status: s.status,
            attempts: s.attempts,
            output: s.output,
            error: s.error,
            errorCategory: s.errorCategory,
            waitingFor: s.status === 'waiting' ? (s.state.approval !== undefined ? 'approval' : `event ${String(s.state.event)}`) : null,
            startedAt: iso(s.startedAt),
            finishedAt: iso(s.finishedAt),
          })),
        }
      : {}),
  };
}

