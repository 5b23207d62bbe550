/** Health, memory, events, audit and stats. */
import { z } from 'zod';
import { isoTime, queryInt, runId } from './common.js';
import { usageTotalsJson } from './usage.js';

export const health = z.object({
  status: z.literal('ok'),
  version: z.string(),
  db: z.enum(['sqlite', 'postgres']),
  uptimeSeconds: z.number(),
  auth: z.boolean().describe('Whether API tokens are required'),
});

export const memoryQuery = z.object({
  q: z.string().max(500).default('').describe('Text to look for in titles and summaries (empty: newest entries)'),
  limit: queryInt(1, 200, 20),
});

export const memoryEntry = z.object({
  runId: z.string(),
  taskId: z.string(),
  task: z.string().describe('API task id: RUN_ID:TASK_ID'),
  title: z.string(),
  summary: z.string(),
  source: z.string(),
  createdAt: isoTime,
});

export const memoryResult = z.object({ entries: z.array(memoryEntry) });

export const eventsQuery = z.object({
  run: runId.optional().describe('Only events of this run'),
  lastEventId: z.coerce.number().int().min(0).optional().describe('Resume after this event id (like the Last-Event-ID header)'),
});

export const auditQuery = z.object({
  before: z.coerce.number().int().min(1).optional().describe('Entries older than this id'),
  limit: queryInt(1, 500, 100),
});

export const auditList = z.object({
  entries: z.array(
    z.object({
      id: z.number(),
      at: isoTime,
      actor: z.string(),
      method: z.string(),
      path: z.string(),
      status: z.number(),
      body: z.string().nullable(),
    }),
  ),
});

export const statsQuery = z.object({ runs: queryInt(1, 1000, 100).describe('How many recent runs to include') });

export const stats = z.object({
  runs: z.number(),
  runsByStatus: z.record(z.string(), z.number()),
  tasksProcessed: z.number(),
  succeeded: z.number(),
  failed: z.number(),
  blocked: z.number(),
  cancelled: z.number(),
  running: z.number(),
  pending: z.number(),
  activeMs: z.number().describe('Time during which at least one task was running'),
  successRate: z.number().nullable().describe('Percent of the tasks that ran (succeeded or failed) which succeeded'),
  averageTaskMs: z.number().nullable(),
  attempts: z.number(),
  tasksRetried: z.number(),
  averageRunMs: z.number().nullable(),
  usage: usageTotalsJson.describe('Tokens, cost and turns over the included runs (failed attempts too)'),
  lastRunAt: isoTime.nullable(),
  tasksByStatus: z.record(z.string(), z.number()).describe('Every stored task, by status'),
  throughputPerHour: z.number().nullable().describe('Tasks that ran, per hour of time during which tasks were running'),
});

export const whoami = z.object({
  auth: z.boolean().describe('Whether API tokens are required'),
  actor: z.string().describe('The token\'s name, or anonymous when auth is off'),
  role: z.enum(['viewer', 'operator', 'admin']),
});
