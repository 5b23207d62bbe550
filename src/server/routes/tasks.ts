/** Tasks across runs (filters and cursor pages), ad-hoc tasks, their edits and cancellation, and memory search. */
import { cancelRunOrTask } from '../../app/cancel.js';
import { z } from 'zod';
import type { TaskSpec } from '../../core/task.js';
import { assertApiAgent } from '../api-agent.js';
import { memoryToApi, taskToApi } from '../api-json.js';
import { startTask } from '../delegate.js';
import { agentName, errors } from '../schemas/common.js';
import { memoryQuery, memoryResult } from '../schemas/misc.js';
import { taskCreateBody, taskDetail, taskDetailQuery, taskIdParams, taskJson, taskPage, taskQuery, taskUpdateBody } from '../schemas/tasks.js';
import { loadTaskDetail } from '../task-detail.js';
import { parseTaskRef } from '../task-ref.js';
import { createAdhocTask, requireRun, requireTask } from '../work-items.js';
import type { ServerDeps, ZodApp } from '../zod-app.js';

/** Registers the task and memory routes. */
export function registerTaskRoutes(app: ZodApp, deps: ServerDeps): void {
  const { weft, executor } = deps;

  app.get(
    '/api/v1/tasks',
    {
      schema: {
        tags: ['tasks'],
        summary: 'Tasks of every run, newest run first, filtered and paged with a cursor (seed 003\'s retrieveTasks)',
        querystring: taskQuery,
        response: { 200: taskPage, ...errors(400) },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const key = JSON.stringify([q.status, q.priority, q.type, q.run, q.cursor, q.limit]);
      const body = await deps.listCache.get(key, async () => {
        const page = await weft.store.findTasks({
          limit: q.limit,
          ...(q.status ? { status: q.status } : {}),
          ...(q.priority ? { priority: q.priority } : {}),
          ...(q.type ? { type: q.type } : {}),
          ...(q.run ? { runId: q.run } : {}),
          ...(q.cursor ? { cursor: q.cursor } : {}),
        });
        const result = { tasks: page.tasks.map(taskToApi), nextCursor: page.nextCursor };
        return JSON.stringify(deps.validateResponses ? z.encode(taskPage, result) : result);
      });
      // Already JSON: sent as it is (the type provider only knows the object form).
      return reply.type('application/json; charset=utf-8').serializer((s: unknown) => s as string).send(body as never);
    },
  );

  app.post(
    '/api/v1/tasks',
    {
      schema: {
        tags: ['tasks'],
        summary: 'Create an ad-hoc task (stored as a run of its own); `start: true` executes it at once',
        body: taskCreateBody,
        response: { 201: taskJson, ...errors(400, 403, 413) },
      },
    },
    async (request, reply) => {
      const { start, ...input } = request.body;
      let task = await createAdhocTask(weft, input);
      if (start) task = await startTask(deps, task.runId, task.id, undefined);
      return reply.code(201).send(taskToApi(task));
    },
  );

  app.get(
    '/api/v1/tasks/:id',
    {
      schema: {
        tags: ['tasks'],
        summary: 'A task with attempts, result and log tail (and its prompt with `?include=prompt`)',
        params: taskIdParams,
        querystring: taskDetailQuery,
        response: { 200: taskDetail, ...errors(400, 404) },
      },
    },
    async (request) => {
      const ref = parseTaskRef(request.params.id);
      const [run, task] = await Promise.all([requireRun(weft, ref.runId), requireTask(weft, ref.runId, ref.taskId)]);
      return loadTaskDetail(weft, deps.plans, run, task, { include: request.query.include });
    },
  );

  app.put(
    '/api/v1/tasks/:id',
    {
      schema: {
        tags: ['tasks'],
        summary: 'Change a task that has not started (title, description, type, priority, estimate, criteria, files, agent)',
        params: taskIdParams,
        body: taskUpdateBody,
        response: { 200: taskJson, ...errors(400, 403, 404, 409) },
      },
    },
    async (request) => {
      const ref = parseTaskRef(request.params.id);
      const task = await requireTask(weft, ref.runId, ref.taskId);
      const { agent, ...rest } = request.body;
      if (agent) assertApiAgent(agent, weft.config, 'agent');
      const spec: TaskSpec = { ...task.spec, ...stripUndefined(rest) };
      if (agent !== undefined) spec.agent = agent ?? undefined;
      if (rest.type && rest.type !== task.spec.type) spec.typeReason = 'changed through the API';
      return taskToApi(await weft.store.updateTaskSpec(ref.runId, ref.taskId, spec));
    },
  );

  app.delete(
    '/api/v1/tasks/:id',
    {
      schema: {
        tags: ['tasks'],
        summary: 'Cancel a task (seed 004): at once when not started, at its next heartbeat when running; its dependents are blocked',
        params: taskIdParams,
        response: { 200: taskJson, ...errors(400, 403, 404, 409) },
      },
    },
    async (request) => {
      const ref = parseTaskRef(request.params.id);
      await requireTask(weft, ref.runId, ref.taskId);
      // The same path as `weft cancel`: a finished task is 409 "already finished" and stays as it was.
      await cancelRunOrTask(weft.store, ref.runId, ref.taskId, { executing: executor.isActive(ref.runId) });
      return taskToApi(await requireTask(weft, ref.runId, ref.taskId));
    },
  );

  app.post(
    '/api/v1/tasks/:id/start',
    {
      schema: {
        tags: ['tasks'],
        summary: 'Execute the run holding this task, optionally on another agent',
        params: taskIdParams,
        body: z.strictObject({ agent: agentName.optional() }).default({}),
        response: { 202: taskJson, ...errors(400, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const ref = parseTaskRef(request.params.id);
      const task = await startTask(deps, ref.runId, ref.taskId, request.body.agent);
      return reply.code(202).send(taskToApi(task));
    },
  );

  app.get(
    '/api/v1/memory',
    {
      schema: {
        tags: ['tasks'],
        summary: 'Search what finished tasks produced (title and summary, case-insensitive)',
        querystring: memoryQuery,
        response: { 200: memoryResult, ...errors(400) },
      },
    },
    async (request) => ({ entries: (await weft.store.searchMemory(request.query.q, request.query.limit)).map(memoryToApi) }),
  );
}

function stripUndefined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}
