/** Plans and runs: plan a document, start runs (executed here in the background), follow, cancel, retry. */
import { z } from 'zod';
import { cancelRunOrTask } from '../../app/cancel.js';
import { ConflictError } from '../../core/errors.js';
import { iso, loadRunStatus, runProgress, runToJson } from '../../engine/run-status.js';
import type { AttemptRecord, ErrorCategory } from '../../store/records.js';
import { reportJson, reportMarkdown } from '../../engine/run-report.js';
import { buildPlan } from '../../plan/build-plan.js';
import { planToJson } from '../../plan/render/plan-json.js';
import { assertApiAgent } from '../api-agent.js';
import { errors, runId } from '../schemas/common.js';
import { cancelResult, planBody, planJson, runBody, runGraph, runList, runListQuery, runProgressJson, runReportQuery, runStatus, runStatusQuery, runTimeline } from '../schemas/runs.js';
import { attemptDetail, attemptParams, runTaskParams, taskDetail, taskDetailQuery } from '../schemas/tasks.js';
import { loadAttemptDetail } from '../attempt-detail.js';
import { loadTaskDetail } from '../task-detail.js';
import { createRetryRun, requireRun, requireTask } from '../work-items.js';
import type { ServerDeps, ZodApp } from '../zod-app.js';

const runParams = z.object({ id: runId });

function plan(body: { requirements: string; structure?: string | undefined; file?: string | undefined }) {
  return buildPlan({
    requirements: { text: body.requirements, file: body.file ?? 'REQUIREMENTS.md' },
    ...(body.structure ? { structure: { text: body.structure, file: 'STRUCTURE.md' } } : {}),
  });
}

/** Registers the plan and run routes. */
export function registerRunRoutes(app: ZodApp, deps: ServerDeps): void {
  const { weft, executor } = deps;

  app.post(
    '/api/v1/plans',
    {
      schema: {
        tags: ['plans'],
        summary: 'Plan a requirements document (the shape of `weft plan --json`); nothing is stored',
        body: planBody,
        response: { 200: planJson, ...errors(400, 403, 413) },
      },
    },
    async (request) => planToJson(plan(request.body), { explain: request.body.explain ?? false }),
  );

  app.post(
    '/api/v1/runs',
    {
      schema: {
        tags: ['runs'],
        summary: 'Plan a document, store the run and execute it in the server (answers at once)',
        body: runBody,
        response: { 201: runStatus, ...errors(400, 403, 413) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const p = plan(b);
      if (b.agent) assertApiAgent(b.agent, weft.config, 'agent');
      for (const t of p.tasks) if (t.agent) assertApiAgent(t.agent, weft.config, `requirements: task ${t.id} (${t.source.file}:${t.source.line}) Agent`);
      const run = await weft.createRun(p, {
        ...(b.agent ? { agent: b.agent } : {}),
        ...(b.concurrency ? { concurrency: b.concurrency } : {}),
        ...(b.maxAttempts ? { maxAttempts: b.maxAttempts } : {}),
        ...(b.repo ? { repo: b.repo } : {}),
        ...(b.baseBranch ? { baseBranch: b.baseBranch } : {}),
        ...(b.maxCostUsd !== undefined ? { maxCostUsd: b.maxCostUsd } : {}),
        ...(b.timeoutMinutes ? { timeoutMinutes: b.timeoutMinutes } : {}),
        merge: b.merge ?? false,
      });
      if (b.start) executor.start(run.id);
      return reply.code(201).send(await loadRunStatus(weft.store, run.id));
    },
  );

  app.get(
    '/api/v1/runs',
    { schema: { tags: ['runs'], summary: 'Runs, newest first, with task counts', querystring: runListQuery, response: { 200: runList, ...errors(400) } } },
    async (request) => {
      const runs = await weft.store.listRuns(request.query.limit);
      const items = await Promise.all(
        runs.map(async (r) => {
          const [byStatus, usage] = await Promise.all([weft.store.countTasks(r.id), weft.store.usageTotals(r.id)]);
          const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
          return { ...runToJson(r), tasks: { total, byStatus }, usage, active: executor.isActive(r.id) };
        }),
      );
      return { runs: items };
    },
  );

  app.get(
    '/api/v1/runs/:id',
    {
      schema: {
        tags: ['runs'],
        summary: 'A run, its figures and ETA, and a page of its tasks (the shape of `weft status --json`; `?tasks=all` for every task)',
        params: runParams,
        querystring: runStatusQuery,
        response: { 200: runStatus, ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const q = request.query;
      const listing = q.tasks === 'page' ? { mode: q.tasks, limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) } : { mode: q.tasks };
      // Cached like task pages: served again only while nothing has changed (see list-cache.ts).
      const body = await deps.listCache.get(JSON.stringify(['run', id, q.tasks, q.limit, q.cursor]), async () => {
        const status = await loadRunStatus(weft.store, id, listing);
        return JSON.stringify(deps.validateResponses ? z.encode(runStatus, status) : status);
      });
      return reply.type('application/json; charset=utf-8').serializer((s: unknown) => s as string).send(body as never);
    },
  );

  app.get(
    '/api/v1/runs/:id/graph',
    { schema: { tags: ['runs'], summary: 'The run\'s dependency graph with statuses and the critical path', params: runParams, response: { 200: runGraph, ...errors(400, 404) } } },
    async (request) => {
      const run = await requireRun(weft, request.params.id);
      const [tasks, { plan: p, critical }] = await Promise.all([weft.store.listTasks(run.id), deps.plans.get(run)]);
      // Only failed tasks need their last attempt's category; never read every attempt's output.
      const lastCategory = new Map<string, ErrorCategory | null>();
      const failed = tasks.filter((t) => t.status === 'failed').slice(0, 2000);
      for (const [id, list] of await Promise.all(failed.map(async (t) => [t.id, await weft.store.listAttempts(run.id, t.id)] as const))) lastCategory.set(id, list.at(-1)?.errorCategory ?? null);
      return {
        runId: run.id,
        nodes: tasks.map((t) => ({
          id: t.id,
          title: t.title,
          type: t.type,
          status: t.status,
          estimateMinutes: t.estimateMinutes,
          phase: t.phase,
          critical: critical.has(t.id),
          prUrl: t.prUrl,
          requirementId: t.spec.requirementId,
          requirementTitle: t.spec.requirementTitle,
          agent: t.agent,
          attempts: t.attemptCount,
          startedAt: iso(t.startedAt),
          finishedAt: iso(t.finishedAt),
          errorCategory: lastCategory.get(t.id) ?? null,
          error: t.error ? t.error.split('\n')[0]!.slice(0, 300) : null,
        })),
        edges: tasks.flatMap((t) => t.dependsOn.map((d) => ({ from: d, to: t.id }))),
        criticalPath: p.criticalPath,
        criticalPathMinutes: p.criticalPathMinutes,
      };
    },
  );

  app.get(
    '/api/v1/runs/:id/progress',
    {
      schema: {
        tags: ['runs'],
        summary: 'A run\'s figures (outcomes counted apart, success rate, throughput, what each failure blocks) and ETA, without its tasks',
        params: runParams,
        response: { 200: runProgressJson, ...errors(400, 404) },
      },
    },
    async (request) => {
      const run = await requireRun(weft, request.params.id);
      // Slim reads: no specs, no agent output.
      const [tasks, attempts] = await Promise.all([weft.store.listTaskStates(run.id), weft.store.listAttemptTimes(run.id)]);
      return { run: runToJson(run), ...runProgress(run, tasks, attempts) };
    },
  );

  app.get(
    '/api/v1/runs/:id/timeline',
    {
      schema: {
        tags: ['runs'],
        summary: 'Every attempt of the run per task (times in epoch ms), for a Gantt chart',
        params: runParams,
        response: { 200: runTimeline, ...errors(400, 404) },
      },
    },
    async (request) => {
      const run = await requireRun(weft, request.params.id);
      const attempts = await weft.store.listAttemptTimes(run.id);
      const byTask = new Map<string, Pick<AttemptRecord, 'number' | 'status' | 'startedAt' | 'finishedAt'>[]>();
      for (const a of attempts) {
        const span = { number: a.number, status: a.status, startedAt: a.startedAt, finishedAt: a.finishedAt };
        const list = byTask.get(a.taskId);
        if (list) list.push(span);
        else byTask.set(a.taskId, [span]);
      }
      return { runId: run.id, tasks: [...byTask].map(([id, list]) => ({ id, attempts: list })) };
    },
  );

  app.get(
    '/api/v1/runs/:id/report',
    {
      schema: {
        tags: ['runs'],
        summary: 'The run report: markdown (default) or JSON (`?format=json`)',
        params: runParams,
        querystring: runReportQuery,
        response: { 200: z.union([z.string().describe('text/markdown'), z.looseObject({ run: z.unknown(), tasks: z.unknown(), totals: z.unknown() })]), ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      const status = await loadRunStatus(weft.store, request.params.id);
      if (request.query.format === 'json') return reportJson(status);
      return reply.type('text/markdown; charset=utf-8').serializer((s: unknown) => s as string).send(reportMarkdown(status));
    },
  );

  app.post(
    '/api/v1/runs/:id/cancel',
    {
      schema: {
        tags: ['runs'],
        summary: 'Cancel a run: tasks not started are cancelled at once, running ones at their next heartbeat',
        params: runParams,
        response: { 200: cancelResult, ...errors(400, 403, 404, 409) },
      },
    },
    async (request) => {
      const id = request.params.id;
      await requireRun(weft, id);
      // The same path as `weft cancel`: a finished run is 409 "already finished", a never-started one becomes cancelled.
      const { run, cancelled } = await cancelRunOrTask(weft.store, id, undefined, { executing: executor.isActive(id) });
      return { run: runToJson(run), cancelled };
    },
  );

  app.post(
    '/api/v1/runs/:id/resume',
    {
      schema: {
        tags: ['runs'],
        summary: 'Execute an unfinished run here again (after a restart); interrupted attempts are picked up',
        params: runParams,
        response: { 202: runStatus, ...errors(400, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const run = await requireRun(weft, request.params.id);
      if (run.status !== 'pending' && run.status !== 'running') {
        throw new ConflictError(`run ${run.id} is ${run.status}: start a new run of what did not succeed with POST /api/v1/runs/${run.id}/retry`, { runId: run.id, status: run.status });
      }
      executor.start(run.id, { resumed: true });
      return reply.code(202).send(await loadRunStatus(weft.store, run.id));
    },
  );

  app.post(
    '/api/v1/runs/:id/retry',
    {
      schema: {
        tags: ['runs'],
        summary: 'Start a new run of the tasks that did not succeed; succeeded ones count as done and a git run continues from the old integration branch',
        params: runParams,
        response: { 201: runStatus, ...errors(400, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const old = await requireRun(weft, request.params.id);
      if (old.status === 'running' || old.status === 'pending') {
        throw new ConflictError(`run ${old.id} is still ${old.status === 'pending' ? 'pending' : 'running'}: cancel it or wait until it finishes`, { runId: old.id });
      }
      const run = await createRetryRun(weft, old);
      executor.start(run.id);
      return reply.code(201).send(await loadRunStatus(weft.store, run.id));
    },
  );

  app.get(
    '/api/v1/runs/:id/tasks/:taskId',
    {
      schema: {
        tags: ['runs'],
        summary: 'One task of a run: attempts, result and log tail (and its prompt with `?include=prompt`)',
        params: runTaskParams,
        querystring: taskDetailQuery,
        response: { 200: taskDetail, ...errors(400, 404) },
      },
    },
    async (request) => {
      const [run, task] = await Promise.all([requireRun(weft, request.params.id), requireTask(weft, request.params.id, request.params.taskId)]);
      return loadTaskDetail(weft, deps.plans, run, task, { include: request.query.include });
    },
  );

  app.get(
    '/api/v1/runs/:id/tasks/:taskId/attempts/:number',
    {
      schema: {
        tags: ['runs'],
        summary: 'One attempt in full: the prompt it was sent, its output, verify output, usage, files changed and the diff of its commits',
        params: attemptParams,
        response: { 200: attemptDetail, ...errors(400, 404) },
      },
    },
    async (request) => {
      const [run, task] = await Promise.all([requireRun(weft, request.params.id), requireTask(weft, request.params.id, request.params.taskId)]);
      return loadAttemptDetail(weft, run, task, request.params.number);
    },
  );
}
