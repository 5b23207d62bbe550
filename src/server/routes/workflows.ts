/** `/api/v1/workflows…` and `/api/v1/workflow-runs…` (seed 004): store, list, execute, follow, cancel, approve. */
import { NotFoundError } from '../../core/errors.js';
import type { WorkflowDef } from '../../workflow/definition.js';
import { runJson } from '../../workflow/run-json.js';
import type { WorkflowBackground } from '../../workflow/background.js';
import { errors } from '../schemas/common.js';
import {
  approveBody,
  approveParams,
  executeBody,
  workflowCreateBody,
  workflowJson,
  workflowList,
  workflowParams,
  workflowRunJson,
  workflowRunList,
  workflowRunListQuery,
  workflowRunParams,
} from '../schemas/workflows.js';
import type { ServerDeps, ZodApp } from '../zod-app.js';
import type { WorkflowRecord } from '../../store/workflow-records.js';
import type { Json } from '../../store/records.js';

const iso = (t: number) => new Date(t).toISOString();

function workflowOut(w: WorkflowRecord) {
  return { id: w.id, name: w.name, description: w.description, file: w.file, source: w.source, definition: w.definition, createdAt: iso(w.createdAt), updatedAt: iso(w.updatedAt) };
}

function triggersOf(w: WorkflowRecord): string[] {
  const on = (w.definition as unknown as WorkflowDef).on ?? {};
  return Object.keys(on).filter((k) => on[k as keyof typeof on] !== undefined);
}

/** Registers the workflow routes; `background` executes runs in this server. */
export function registerWorkflowRoutes(app: ZodApp, deps: ServerDeps, background: WorkflowBackground): void {
  const { weft } = deps;
  const workflows = () => weft.workflows;

  app.post(
    '/api/v1/workflows',
    { schema: { tags: ['workflows'], summary: 'Validate a YAML workflow and store it (same name = new version)', body: workflowCreateBody, response: { 201: workflowJson, ...errors(400, 403, 413) } } },
    async (request, reply) => reply.code(201).send(workflowOut(await workflows().create(request.body.yaml, request.body.file ?? null))),
  );

  app.get(
    '/api/v1/workflows',
    { schema: { tags: ['workflows'], summary: 'Stored workflows', response: { 200: workflowList } } },
    async () => ({ workflows: (await workflows().list()).map((w) => ({ id: w.id, name: w.name, description: w.description, file: w.file, createdAt: iso(w.createdAt), updatedAt: iso(w.updatedAt), triggers: triggersOf(w) })) }),
  );

  app.get(
    '/api/v1/workflows/:id',
    { schema: { tags: ['workflows'], summary: 'A stored workflow with its YAML and definition', params: workflowParams, response: { 200: workflowJson, ...errors(400, 404) } } },
    async (request) => workflowOut(await workflows().get(request.params.id)),
  );

  app.post(
    '/api/v1/workflows/:id/execute',
    {
      schema: {
        tags: ['workflows'],
        summary: 'Start a run of a stored workflow; it executes in the server (answers at once)',
        params: workflowParams,
        body: executeBody,
        response: { 201: workflowRunJson, ...errors(400, 403, 404) },
      },
    },
    async (request, reply) => {
      const w = await workflows().get(request.params.id);
      const run = await workflows().start(w.id, { inputs: (request.body.inputs ?? {}) as { [key: string]: Json }, trigger: { kind: 'manual' } });
      background.start(run.id);
      return reply.code(201).send(runJson(run, []));
    },
  );

  app.get(
    '/api/v1/workflow-runs',
    { schema: { tags: ['workflows'], summary: 'Workflow runs, newest first', querystring: workflowRunListQuery, response: { 200: workflowRunList, ...errors(400) } } },
    async (request) => {
      const runs = await weft.store.workflows.listWorkflowRuns({ limit: request.query.limit, ...(request.query.workflow ? { workflowId: request.query.workflow } : {}) });
      return { runs: runs.map((r) => runJson(r, null)) };
    },
  );

  app.get(
    '/api/v1/workflow-runs/:id',
    { schema: { tags: ['workflows'], summary: 'A workflow run with every step instance, its status and output', params: workflowRunParams, response: { 200: workflowRunJson, ...errors(400, 404) } } },
    async (request) => {
      const { run, steps } = await workflows().status(request.params.id);
      return runJson(run, steps);
    },
  );

  app.post(
    '/api/v1/workflow-runs/:id/cancel',
    { schema: { tags: ['workflows'], summary: 'Cancel a workflow run (waiting steps end now, running ones at their next heartbeat)', params: workflowRunParams, response: { 200: workflowRunJson, ...errors(400, 403, 404, 409) } } },
    async (request) => {
      const run = await workflows().cancel(request.params.id);
      return runJson(run, await weft.store.workflows.listSteps(run.id));
    },
  );

  app.post(
    '/api/v1/workflow-runs/:id/steps/:step/approve',
    {
      schema: {
        tags: ['workflows'],
        summary: 'Approve (or reject with approved: false) a step waiting for approval',
        params: approveParams,
        body: approveBody,
        response: { 200: workflowRunJson, ...errors(400, 403, 404, 409) },
      },
    },
    async (request) => {
      const { id, step } = request.params;
      const actor = request.actor || 'api';
      await workflows().approve(id, step, { approved: request.body.approved ?? true, by: actor, ...(request.body.comment ? { comment: request.body.comment } : {}) });
      // The executor picks the approval up; a run no process executes any more continues here.
      if (!background.isActive(id)) {
        const run = await weft.store.workflows.getWorkflowRun(id);
        if (run && run.status !== 'running') background.start(id, { resumed: true });
      }
      const { run, steps } = await workflows().status(id);
      if (!run) throw new NotFoundError(`no workflow run "${id}"`);
      return runJson(run, steps);
    },
  );
}
