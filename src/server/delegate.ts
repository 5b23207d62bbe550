/** Starting the run that holds a task, optionally on another agent (seed 000's delegate, `POST /tasks/:id/start`). */
import { resolveAgentSpec } from '../agents/create-agent.js';
import { ConflictError, InputError } from '../core/errors.js';
import type { TaskRecord } from '../store/records.js';
import { assertApiAgent } from './api-agent.js';
import { requireRun, requireTask } from './work-items.js';
import type { ServerDeps } from './zod-app.js';

/** Starts executing the task's run in the background; the agent, when given, is set on the task first. */
export async function startTask(deps: ServerDeps, runId: string, taskId: string, agent: string | undefined): Promise<TaskRecord> {
  const { weft, executor } = deps;
  // Bad input is reported before the state of the task is looked at.
  if (agent !== undefined) assertApiAgent(agent, weft.config, 'agent');
  let task = await requireTask(weft, runId, taskId);
  const run = await requireRun(weft, runId);
  if (executor.isActive(runId) || run.status === 'running') {
    throw new ConflictError(`task ${taskId} is already executing (run ${runId} is running)`, { runId, taskId });
  }
  if (task.status !== 'pending' && task.status !== 'ready') {
    throw new ConflictError(`task ${taskId} is ${task.status}: only a task that has not started can be delegated`, { runId, taskId, status: task.status });
  }
  if (agent !== undefined && agent.trim() !== (task.spec.agent ?? run.agent)) {
    if (resolveAgentSpec(agent, weft.config).kind === 'command' && !run.repo) {
      throw new InputError(`agent: ${agent} works in a git worktree, but the task was created without a repository: create it with \`repo\``, { field: 'agent', agent });
    }
    task = await weft.store.updateTaskSpec(runId, taskId, { ...task.spec, agent: agent.trim() });
  }
  executor.start(runId);
  return task;
}
