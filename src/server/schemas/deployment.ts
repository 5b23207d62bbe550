/** Seed 000's `/api/codegen/deployment/*` bodies and answers, with the seed's snake_case names. */
import { z } from 'zod';
import { TASK_STATUSES } from '../../core/task.js';
import { agentName, text } from './common.js';

const taskId = text(1000).describe('The task_id `create` returned (RUN_ID:TASK_ID)');

export const isDeploymentBody = z.object({ task_description: text(100_000) });
export const isDeploymentResult = z.object({ is_deployment: z.boolean() });

export const createBody = z.object({
  task_description: text(100_000),
  context: z
    .union([z.string().max(100_000), z.record(z.string(), z.unknown())])
    .optional()
    .describe('Text, or an object (repository, branch, environment, infrastructure, …) given to the agent as YAML; `repository` picks a configured repository'),
});
export const createResult = z.object({ task_id: z.string() });

export const delegateBody = z.object({ task_id: taskId, agent: agentName.optional().describe('Default: config `agent`, else simulate') });
export const taskIdBody = z.object({ task_id: taskId });
export const addToMemoryBody = z.object({ task_id: taskId, planner_id: text(200).optional() });
export const taskIdQuery = z.object({ task_id: taskId });

export const statusResult = z.object({ task_id: z.string(), status: z.enum(TASK_STATUSES) });
export const resultsResult = z.object({
  task_id: z.string(),
  status: z.enum(TASK_STATUSES),
  result: z.unknown().describe('Summary, files changed, commits and links of the successful attempt; null before'),
  pr_url: z.string().nullable(),
});
export const reportResult = z.object({ task_id: z.string(), report: z.string().describe('Markdown') });
export const listResult = z.object({
  tasks: z.array(
    z.object({
      task_id: z.string(),
      title: z.string(),
      description: z.string(),
      status: z.enum(TASK_STATUSES),
      pr_url: z.string().nullable(),
      updated_at: z.string(),
    }),
  ),
});
