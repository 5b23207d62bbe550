/** Plans and runs: request bodies and the shapes of `weft plan --json` and `weft status --json`. */
import { z } from 'zod';
import { FIGURE_BUCKETS, type FigureBucket } from '../../core/run-figures.js';
import { PRIORITIES, TASK_STATUSES, TASK_TYPES } from '../../core/task.js';
import { ATTEMPT_STATUSES, ERROR_CATEGORIES, RUN_REASONS, RUN_STATUSES } from '../../store/records.js';
import { agentName, isoTimeOrNull, queryInt, text } from './common.js';
import { usageJson, usageTotalsJson } from './usage.js';

const MAX_DOC = 1_500_000;

const requirements = z
  .string({ error: 'expected the text of a requirements document' })
  .min(1, { error: 'expected the text of a requirements document' })
  .max(MAX_DOC, { error: `expected at most ${MAX_DOC} characters` })
  .describe('REQUIREMENTS.md text');

export const planBody = z.strictObject({
  requirements,
  structure: z.string().max(MAX_DOC).optional().describe('STRUCTURE.md text, for interface-first planning'),
  file: text(200).optional().describe('Name used in error messages (default REQUIREMENTS.md)'),
  explain: z.boolean().optional().describe('Add why each type and dependency was chosen'),
});

export const runBody = z.strictObject({
  requirements,
  structure: z.string().max(MAX_DOC).optional(),
  file: text(200).optional(),
  agent: agentName.optional().describe('Default agent backend (default: config `agent`, else simulate)'),
  concurrency: z.int().min(1).max(256).optional().describe('Attempts running at once'),
  maxAttempts: z.int().min(1).max(50).optional().describe('Attempts per task before it fails for good'),
  repo: text(4096).optional().describe('Git repository (a path on the server) the agents work in'),
  baseBranch: text(255).optional(),
  timeoutMinutes: z.number().positive().max(24 * 60).optional(),
  merge: z.boolean().optional().describe('Merge the integration branch into the base branch when every task succeeded'),
  maxCostUsd: z.number().min(0).max(1_000_000).optional().describe('Cost budget in US dollars: once spent, no new attempt starts and the run ends failed (reason budget)'),
  start: z.boolean().default(true).describe('Execute at once in the server (default true); false only stores the run'),
});

export const runJson = z.looseObject({
  id: z.string(),
  title: z.string(),
  status: z.enum(RUN_STATUSES),
  agent: z.string(),
  concurrency: z.number(),
  createdAt: isoTimeOrNull,
  startedAt: isoTimeOrNull,
  finishedAt: isoTimeOrNull,
  branch: z.string().nullable(),
  baseBranch: z.string().nullable(),
  repo: z.string().nullable(),
  error: z.string().nullable().describe('Why the run failed, when the tasks alone do not say (e.g. its budget was spent)'),
  reason: z.enum(RUN_REASONS).nullable().describe('budget: the run spent its --max-cost; no new attempt started'),
  maxCostUsd: z.number().nullable().describe('The run\'s cost budget in US dollars (--max-cost, budget.maxCostUsd)'),
  pausedBackends: z
    .array(z.object({ backend: z.string(), until: z.string().describe('ISO 8601: no attempt goes to this backend before then'), reason: z.string() }))
    .describe('Agent backends that take no attempts right now (a usage limit with a reset time)'),
});

const statusAttempt = z.looseObject({
  number: z.number(),
  status: z.string(),
  startedAt: isoTimeOrNull,
  finishedAt: isoTimeOrNull,
  error: z.string().nullable(),
  errorCategory: z.enum(ERROR_CATEGORIES).nullable(),
  usage: usageJson.nullable(),
  verifyOutput: z.string().nullable().describe("The end of the verify command's output (4 KiB; the task's attempts in GET /api/v1/tasks/:id have 16 KiB); null when no verify ran"),
});

const bucketCounts = z.object(Object.fromEntries(FIGURE_BUCKETS.map((b) => [b, z.number()])) as Record<FigureBucket, z.ZodNumber>);

/** The honest figures of a run (`src/core/run-figures.ts`). */
export const runFigures = z
  .object({
    total: z.number(),
    counts: bucketCounts.describe('Tasks by outcome, counted apart (pending includes ready)'),
    open: z.number().describe('Tasks this run has to do (total minus done)'),
    finished: z.number(),
    ran: z.number().describe('Tasks that ran to an outcome: succeeded + failed'),
    successRate: z.number().nullable().describe('Percent of the tasks that ran which succeeded'),
    activeMs: z.number().describe('Time during which at least one task was running'),
    throughputPerHour: z.number().nullable().describe('Tasks that ran, per hour of active time'),
    failures: z.array(z.object({ id: z.string(), status: z.enum(['failed', 'cancelled']), blocks: z.number().describe('Tasks it blocks') })),
  })
  .describe('Counts, success rate and throughput');

/** The run's ETA (`src/core/estimate-eta.ts`). */
export const runEta = z
  .object({
    remainingMs: z.number(),
    finishAt: z.number().describe('Epoch milliseconds'),
    basis: z.enum(['observed', 'estimates', 'done']),
    samples: z.number().describe('Finished attempts the pace is taken from'),
    msPerEstimateMinute: z.number(),
    openTasks: z.number(),
  })
  .describe('When the run is expected to end: the remaining DAG simulated with the run\'s concurrency and the observed pace');

/** `weft status --json`. */
export const runStatus = z.looseObject({
  run: runJson.extend({ usage: usageTotalsJson }),
  figures: runFigures,
  eta: runEta,
  tasks: z.array(
    z.looseObject({
      id: z.string(),
      title: z.string(),
      type: z.enum(TASK_TYPES),
      priority: z.enum(PRIORITIES),
      status: z.enum(TASK_STATUSES),
      dependsOn: z.array(z.string()),
      branch: z.string().nullable(),
      prUrl: z.string().nullable(),
      error: z.string().nullable(),
      startedAt: isoTimeOrNull,
      finishedAt: isoTimeOrNull,
      usage: usageTotalsJson,
      attempts: z.array(statusAttempt),
    }),
  ),
  nextCursor: z.string().nullable().optional().describe('With `?tasks=page`: the cursor of the next page of tasks, null on the last'),
});

export const runStatusQuery = z.strictObject({
  tasks: z
    .enum(['page', 'all', 'none'], { error: () => 'expected page, all or none' })
    .default('page')
    .describe('Which tasks to include: one cursor page (default), all of them (the whole `weft status --json`), or none'),
  limit: queryInt(1, 1000, 100).describe('Tasks per page with `tasks=page`'),
  cursor: z.string().max(2000).optional().describe('`nextCursor` of the previous page'),
});

export const runListItem = runJson.extend({
  tasks: z.object({ total: z.number(), byStatus: z.record(z.string(), z.number()) }),
  usage: usageTotalsJson,
  active: z.boolean().describe('Whether this server is executing the run right now'),
});

export const runList = z.object({ runs: z.array(runListItem) });

export const runListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const cancelResult = z.object({
  run: runJson,
  cancelled: z.array(z.string()).describe('Tasks cancelled at once; running ones stop at their next heartbeat'),
});

/** `weft plan --json`. */
export const planJson = z.looseObject({
  title: z.string(),
  context: z.string(),
  tasks: z.array(
    z.looseObject({
      id: z.string(),
      title: z.string(),
      type: z.enum(TASK_TYPES),
      priority: z.enum(PRIORITIES),
      status: z.string(),
      dependsOn: z.array(z.string()),
      estimateMinutes: z.number(),
      phase: z.number().nullable(),
      slackMinutes: z.number(),
      critical: z.boolean(),
    }),
  ),
  phases: z.array(z.array(z.string())),
  criticalPath: z.array(z.string()),
  criticalPathMinutes: z.number(),
  totalMinutes: z.number(),
});

export const runGraph = z.object({
  runId: z.string(),
  nodes: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      type: z.enum(TASK_TYPES),
      status: z.enum(TASK_STATUSES),
      estimateMinutes: z.number(),
      phase: z.number().nullable(),
      critical: z.boolean(),
      prUrl: z.string().nullable(),
      requirementId: z.string().describe('The `##` requirement the task came from'),
      requirementTitle: z.string(),
      agent: z.string().nullable().describe('Agent override of the task (null: the run\'s agent)'),
      attempts: z.number(),
      startedAt: isoTimeOrNull,
      finishedAt: isoTimeOrNull,
      errorCategory: z.enum(ERROR_CATEGORIES).nullable().describe('Category of the latest failed attempt'),
      error: z.string().nullable().describe('First line of the task\'s error'),
    }),
  ),
  edges: z.array(z.object({ from: z.string(), to: z.string() })).describe('`from` must finish before `to` starts'),
  criticalPath: z.array(z.string()),
  criticalPathMinutes: z.number(),
});

export const runReportQuery = z.object({ format: z.enum(['markdown', 'json']).default('markdown') });

/** `GET /api/v1/runs/:id/progress`: the run with its figures and ETA, without its tasks. */
export const runProgressJson = z.object({ run: runJson, figures: runFigures, eta: runEta });

/** `GET /api/v1/runs/:id/timeline`. */
export const runTimeline = z.object({
  runId: z.string(),
  tasks: z.array(
    z.object({
      id: z.string(),
      attempts: z.array(z.object({ number: z.number(), status: z.enum(ATTEMPT_STATUSES), startedAt: z.number(), finishedAt: z.number().nullable() })),
    }),
  ),
});
