/** Request and response schemas of the workflow routes (seed 004's /api/v1/workflows). */
import { z } from 'zod';
import { STEP_STATUSES, WORKFLOW_RUN_STATUSES } from '../../store/workflow-records.js';
import { isoTime, isoTimeOrNull, text } from './common.js';

export const workflowParams = z.object({ id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,99}$/, { error: 'expected a workflow id (lowercase letters, digits, -)' }) });
export const workflowRunParams = z.object({ id: z.string().regex(/^wf-[0-9a-z]{1,40}$/, { error: 'expected a workflow run id (wf-…)' }) });
export const approveParams = workflowRunParams.extend({ step: text(300).describe('step id or instance key (each/#2/ok)') });

export const workflowCreateBody = z.strictObject({
  yaml: text(512 * 1024).describe('the workflow definition as YAML'),
  file: text(500).optional().describe('a name for error messages (default workflow.yaml)'),
});

export const workflowJson = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  file: z.string().nullable(),
  source: z.string().describe('the YAML as stored'),
  definition: z.unknown().describe('the validated definition'),
  createdAt: isoTime,
  updatedAt: isoTime,
});

export const workflowList = z.object({ workflows: z.array(workflowJson.omit({ source: true, definition: true }).extend({ triggers: z.array(z.string()) })) });

export const executeBody = z.strictObject({
  inputs: z.record(z.string(), z.unknown()).optional().describe('input values by name (checked against the workflow\'s inputs)'),
});

export const approveBody = z.strictObject({
  approved: z.boolean().optional().describe('false rejects: the step fails (default true)'),
  comment: text(2000).optional(),
});

const stepJson = z.object({
  key: z.string().describe('instance key: the step id, with /#N for loop iterations'),
  id: z.string(),
  parent: z.string().nullable(),
  kind: z.string(),
  status: z.enum(STEP_STATUSES),
  attempts: z.number(),
  output: z.unknown().describe('the step output (JSON): run → exitCode/stdout/json, http → status/body, task → input/output, plan → the run'),
  error: z.string().nullable(),
  errorCategory: z.string().nullable(),
  waitingFor: z.string().nullable().describe('approval, or the event a waiting step waits for'),
  startedAt: isoTimeOrNull,
  finishedAt: isoTimeOrNull,
});

export const workflowRunJson = z.object({
  id: z.string(),
  workflowId: z.string().nullable(),
  name: z.string(),
  status: z.enum(WORKFLOW_RUN_STATUSES),
  inputs: z.record(z.string(), z.unknown()),
  trigger: z.unknown(),
  error: z.string().nullable(),
  cancelRequested: z.boolean(),
  createdAt: isoTime,
  startedAt: isoTimeOrNull,
  finishedAt: isoTimeOrNull,
  steps: z.array(stepJson).optional(),
});

export const workflowRunList = z.object({ runs: z.array(workflowRunJson) });
export const workflowRunListQuery = z.object({ workflow: z.string().max(100).optional(), limit: z.coerce.number().int().min(1).max(500).default(50) });
