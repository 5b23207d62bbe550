/**
 * Seed 000's deployment endpoints, a thin layer over weft's own API: a deployment task is an ad-hoc
 * task of type deployment; `task_id` is the API task id (RUN_ID:TASK_ID).
 */
import { cancelRunOrTask } from '../../app/cancel.js';
import YAML from 'yaml';
import { ConflictError } from '../../core/errors.js';
import { TERMINAL_TASK_STATUSES } from '../../core/task.js';
import { loadRunStatus } from '../../engine/run-status.js';
import { reportMarkdown } from '../../engine/run-report.js';
import { inferType } from '../../plan/infer-type.js';
import { fence } from '../../prompt/template-loader.js';
import { memoryText } from '../api-json.js';
import { startTask } from '../delegate.js';
import { errors, ok } from '../schemas/common.js';
import {
  addToMemoryBody,
  createBody,
  createResult,
  delegateBody,
  isDeploymentBody,
  isDeploymentResult,
  listResult,
  reportResult,
  resultsResult,
  statusResult,
  taskIdBody,
  taskIdQuery,
} from '../schemas/deployment.js';
import { formatTaskRef, parseTaskRef } from '../task-ref.js';
import { createAdhocTask, requireTask } from '../work-items.js';
import type { ServerDeps, ZodApp } from '../zod-app.js';

const PREFIX = '/api/codegen/deployment';
const tags = ['deployment'];

/** A title for a task described in free text: its first line, shortened. */
function titleOf(description: string): string {
  const first = description.trim().split('\n', 1)[0]?.trim() ?? '';
  return first.length > 80 ? `${first.slice(0, 77).trimEnd()}…` : first || 'Deployment task';
}

/** Seed 000's context dict as prompt text: YAML, which reads like the dict and keeps nesting. */
export function contextText(context: string | Record<string, unknown> | undefined): string | undefined {
  if (context === undefined || typeof context === 'string') return context;
  return `Deployment context:\n\n${fence(YAML.stringify(context).trimEnd(), 'yaml')}`;
}

/** The repository and branch a context object names, when `repository` is one of the configured repositories. */
export function deploymentTarget(context: string | Record<string, unknown> | undefined, repositories: Readonly<Record<string, string>>): { repo?: string; baseBranch?: string } {
  if (context === undefined || typeof context === 'string' || typeof context.repository !== 'string') return {};
  if (!Object.hasOwn(repositories, context.repository)) return {};
  const repo = repositories[context.repository]!;
  return { repo, ...(typeof context.branch === 'string' && context.branch.trim() ? { baseBranch: context.branch.trim() } : {}) };
}

/** Registers `/api/codegen/deployment/*`. */
export function registerDeploymentRoutes(app: ZodApp, deps: ServerDeps): void {
  const { weft, executor } = deps;
  const task = (ref: string) => {
    const { runId, taskId } = parseTaskRef(ref, 'task_id');
    return requireTask(weft, runId, taskId);
  };

  app.post(
    `${PREFIX}/is-deployment-task`,
    { schema: { tags, summary: 'Whether a task description is about deployment (the planner\'s type inference)', body: isDeploymentBody, response: { 200: isDeploymentResult, ...errors(400) } } },
    async (request) => {
      const text = request.body.task_description;
      return { is_deployment: inferType(titleOf(text), text).type === 'deployment' };
    },
  );

  app.post(
    `${PREFIX}/create`,
    { schema: { tags, summary: 'Create a deployment task (not started)', body: createBody, response: { 200: createResult, ...errors(400, 403) } } },
    async (request) => {
      const b = request.body;
      const where = deploymentTarget(b.context, weft.config.repositories);
      const t = await createAdhocTask(weft, {
        ...where,
        title: titleOf(b.task_description),
        description: b.task_description,
        type: 'deployment',
        priority: 'medium',
        estimateMinutes: 30,
        acceptanceCriteria: [],
        files: [],
        context: contextText(b.context),
      });
      return { task_id: formatTaskRef(t.runId, t.id) };
    },
  );

  app.post(
    `${PREFIX}/delegate`,
    { schema: { tags, summary: 'Start the task on an agent backend', body: delegateBody, response: { 200: ok, ...errors(400, 403, 404, 409) } } },
    async (request) => {
      const { runId, taskId } = parseTaskRef(request.body.task_id, 'task_id');
      await startTask(deps, runId, taskId, request.body.agent);
      return { success: true };
    },
  );

  app.get(
    `${PREFIX}/status`,
    { schema: { tags, summary: 'The task\'s status', querystring: taskIdQuery, response: { 200: statusResult, ...errors(400, 404) } } },
    async (request) => {
      const t = await task(request.query.task_id);
      return { task_id: request.query.task_id, status: t.status };
    },
  );

  app.get(
    `${PREFIX}/results`,
    { schema: { tags, summary: 'The task\'s status, result and pull request', querystring: taskIdQuery, response: { 200: resultsResult, ...errors(400, 404) } } },
    async (request) => {
      const t = await task(request.query.task_id);
      return { task_id: request.query.task_id, status: t.status, result: t.result, pr_url: t.prUrl };
    },
  );

  app.get(
    `${PREFIX}/report`,
    { schema: { tags, summary: 'A markdown report of the task', querystring: taskIdQuery, response: { 200: reportResult, ...errors(400, 404) } } },
    async (request) => {
      const t = await task(request.query.task_id);
      const status = await loadRunStatus(weft.store, t.runId);
      return { task_id: request.query.task_id, report: reportMarkdown({ ...status, tasks: status.tasks.filter((s) => s.id === t.id) }) };
    },
  );

  app.post(
    `${PREFIX}/add-to-memory`,
    { schema: { tags, summary: 'Keep what the finished task produced in memory (searchable with GET /api/v1/memory)', body: addToMemoryBody, response: { 200: ok, ...errors(400, 403, 404, 409) } } },
    async (request) => {
      const t = await task(request.body.task_id);
      if (t.status !== 'succeeded' && t.status !== 'failed') {
        throw new ConflictError(`task ${request.body.task_id} is ${t.status}: only a finished task has results to remember`, { task_id: request.body.task_id, status: t.status });
      }
      await weft.store.addMemory({ runId: t.runId, taskId: t.id, title: t.title, summary: memoryText(t), source: request.body.planner_id ?? 'api', createdAt: Date.now() });
      return { success: true };
    },
  );

  app.post(
    `${PREFIX}/cancel`,
    { schema: { tags, summary: 'Cancel the task (success is false when it had already finished)', body: taskIdBody, response: { 200: ok, ...errors(400, 403, 404) } } },
    async (request) => {
      const t = await task(request.body.task_id);
      if (TERMINAL_TASK_STATUSES.includes(t.status)) return { success: false };
      await cancelRunOrTask(weft.store, t.runId, t.id, { executing: executor.isActive(t.runId) });
      return { success: true };
    },
  );

  app.get(
    `${PREFIX}/list`,
    { schema: { tags, summary: 'Deployment tasks of every run, newest first (up to 500)', response: { 200: listResult, ...errors(400) } } },
    async () => {
      const page = await weft.store.findTasks({ type: 'deployment', limit: 500 });
      return {
        tasks: page.tasks.map((t) => ({
          task_id: formatTaskRef(t.runId, t.id),
          title: t.title,
          description: t.spec.description,
          status: t.status,
          pr_url: t.prUrl,
          updated_at: new Date(t.updatedAt).toISOString(),
        })),
      };
    },
  );
}
