/** Tasks across runs (seed 003's retrieveTasks, seed 004's task CRUD): filters, pages, ad-hoc tasks. */
import { z } from 'zod';
import { PRIORITIES, TASK_STATUSES, TASK_TYPES } from '../../core/task.js';
import { ATTEMPT_STATUSES, ERROR_CATEGORIES } from '../../store/records.js';
import { agentName, isoTime, isoTimeOrNull, queryInt, runId, text } from './common.js';
import { usageJson, usageTotalsJson } from './usage.js';

export const taskJson = z.object({
  id: z.string().describe('API task id: RUN_ID:TASK_ID'),
  runId: z.string(),
  taskId: z.string().describe('Id within the run'),
  title: z.string(),
  description: z.string(),
  type: z.enum(TASK_TYPES),
  priority: z.enum(PRIORITIES),
  status: z.enum(TASK_STATUSES),
  dependsOn: z.array(z.string()),
  estimateMinutes: z.number(),
  phase: z.number().nullable(),
  agent: z.string().nullable(),
  branch: z.string().nullable(),
  prUrl: z.string().nullable(),
  error: z.string().nullable(),
  summary: z.string().nullable().describe('What the agent said it did'),
  attempts: z.number(),
  failedAttempts: z.number(),
  acceptanceCriteria: z.array(z.string()),
  files: z.array(z.string()),
  startedAt: isoTimeOrNull,
  finishedAt: isoTimeOrNull,
  updatedAt: isoTime,
});

export const taskPage = z.object({
  tasks: z.array(taskJson),
  nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
});

export const taskQuery = z.object({
  status: z.enum(TASK_STATUSES).optional(),
  priority: z.enum(PRIORITIES).optional(),
  type: z.enum(TASK_TYPES).optional(),
  run: runId.optional().describe('Only tasks of this run'),
  cursor: z.string().max(2000).optional(),
  limit: queryInt(1, 500, 50),
});

export const taskIdParams = z.object({ id: text(1000).describe('RUN_ID:TASK_ID') });

const list = (maxItems: number, maxChars: number) => z.array(text(maxChars)).max(maxItems);

export const taskCreateBody = z.strictObject({
  title: text(200),
  description: z.string().max(100_000).default(''),
  type: z.enum(TASK_TYPES).optional().describe('Inferred from the title and description when absent'),
  priority: z.enum(PRIORITIES).default('medium'),
  estimateMinutes: z.number().positive().max(100_000).default(30),
  acceptanceCriteria: list(100, 2000).default([]),
  files: list(500, 1000).default([]),
  agent: agentName.optional(),
  repo: text(4096).optional().describe('Git repository for agents that work in a worktree'),
  context: z.string().max(100_000).optional().describe('Project context given to the agent'),
  start: z.boolean().default(false).describe('Execute at once'),
});

export const taskUpdateBody = z
  .strictObject({
    title: text(200).optional(),
    description: z.string().max(100_000).optional(),
    type: z.enum(TASK_TYPES).optional(),
    priority: z.enum(PRIORITIES).optional(),
    estimateMinutes: z.number().positive().max(100_000).optional(),
    acceptanceCriteria: list(100, 2000).optional(),
    files: list(500, 1000).optional(),
    agent: agentName.nullable().optional().describe('null goes back to routing and the run default'),
  })
  .refine((b) => Object.keys(b).length > 0, { error: 'expected at least one field to change' });

export const attemptJson = z.object({
  number: z.number(),
  status: z.enum(ATTEMPT_STATUSES),
  workerId: z.string(),
  startedAt: isoTime,
  finishedAt: isoTimeOrNull,
  errorCategory: z.enum(ERROR_CATEGORIES).nullable(),
  error: z.string().nullable(),
  outputTail: z.string().nullable().describe('The end of the agent output'),
  usage: usageJson.nullable(),
  verifyOutput: z.string().nullable().describe("The verify command's output (bounded, 16 KiB); null when no verify ran"),
});

/** `GET /api/v1/runs/:id/tasks/:taskId/attempts/:number`. */
export const attemptDetail = attemptJson.extend({
  output: z.string().nullable().describe('The agent output kept for this attempt (bounded)'),
  prompt: z.string().nullable().describe('The prompt this attempt was sent (null when none was kept: the simulate agent gets none)'),
  verifyOutput: z.string().nullable().describe('What the verify command printed (bounded)'),
  filesChanged: z.array(z.string()),
  commits: z.array(z.string()),
  prUrl: z.string().nullable(),
  summary: z.string().nullable(),
  diff: z.object({ text: z.string(), truncated: z.boolean() }).nullable().describe('`git show` of the attempt\'s commits in the run\'s repository'),
});

export const attemptParams = z.object({ id: runId, taskId: text(1000), number: z.coerce.number().int().min(1).max(1000) });

export const taskDetail = z.object({
  task: taskJson,
  critical: z.boolean().describe('On the critical path of its run'),
  attempts: z.array(attemptJson),
  usage: usageTotalsJson,
  result: z.unknown().describe('What the engine kept from the successful attempt (summary, files, commits, PR)'),
  prompt: z.string().nullable().describe('The prompt the agent receives (without retry feedback); built only with `?include=prompt`, null otherwise'),
  logTail: z.string().nullable().describe('The end of .weft/logs/RUN/TASK.log, when present'),
});

export const runTaskParams = z.object({ id: runId, taskId: text(1000) });

export const taskDetailQuery = z.strictObject({
  include: z
    .string()
    .max(100)
    .optional()
    .transform((v) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : []))
    .pipe(z.array(z.enum(['prompt'], { error: () => 'expected a comma-separated list of: prompt' })))
    .describe('Extra parts to build: `prompt` (the prompt the agent receives)'),
});
