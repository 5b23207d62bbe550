/**
 * `plan:` and agent `task:` steps: each becomes a normal weft run (the whole pipeline: agents, verify,
 * integration, PRs) that the step starts once and waits for. The run id is stored in the step's state
 * before the run starts, so a resumed step resumes that run instead of starting another.
 */
import type { Json } from '../../store/records.js';
import { interpolate, interpolateText } from '../expressions.js';
import type { TaskHandlers } from '../handlers.js';
import type { RunSummary, WorkflowRuns } from '../run-service.js';
import { StepError, type StepContext, type StepRunner } from '../step-runner.js';

async function runOnce(ctx: StepContext, runs: WorkflowRuns, create: () => Promise<string>): Promise<RunSummary> {
  let runId = typeof ctx.state.runId === 'string' ? ctx.state.runId : null;
  const resumed = runId !== null;
  if (!runId) {
    runId = await create();
    if (!(await ctx.setState({ runId }))) throw new StepError('interrupted', 'lease lost before the run started');
  }
  ctx.log(`${resumed ? 'resuming' : 'started'} run ${runId}\n`);
  const summary = await runs.executeRun(runId, { resumed, signal: ctx.signal });
  if (ctx.signal.aborted) throw new Error(String(ctx.signal.reason));
  if (summary.status !== 'succeeded') throw new StepError('validation', `run ${runId} ${summary.status}`, summary);
  return summary;
}

/** The `plan` step runner. */
export function planStep(runs: WorkflowRuns): StepRunner {
  return async (ctx) => {
    const p = ctx.step.plan!;
    const repo = ctx.repo;
    const summary = await runOnce(ctx, runs, () =>
      runs.createPlanRun({
        title: ctx.step.name ?? ctx.step.id,
        ...(p.file ? { file: interpolateText(p.file, ctx.expr) } : {}),
        ...(p.text ? { text: interpolateText(p.text, ctx.expr) } : {}),
        cwd: repo ?? process.cwd(),
        repo,
        agent: p.agent ? interpolateText(p.agent, ctx.expr) : undefined,
        concurrency: p.concurrency,
        maxAttempts: p.maxAttempts,
        verify: p.verify,
        pr: p.pr,
        merge: p.merge,
      }),
    );
    return { kind: 'done', output: summary };
  };
}

/** The `task` step runner: the type's handler when one is registered (and no agent is asked for), else a one-task run. */
export function taskStep(runs: WorkflowRuns, handlers: TaskHandlers): StepRunner {
  return async (ctx) => {
    const t = ctx.step.task!;
    const type = t.type ?? 'feature';
    const input = t.input === undefined ? null : interpolate(t.input, ctx.expr);
    const handler = t.agent ? undefined : handlers.get(type);
    if (handler) {
      const cwd = ctx.repo ? await ctx.worktree() : null;
      const out = await handler({ type, name: interpolateText(t.name ?? ctx.step.name ?? ctx.step.id, ctx.expr), input, runId: ctx.runId, stepKey: ctx.key, cwd, signal: ctx.signal, log: ctx.log });
      return { kind: 'done', output: { type, input, output: (out ?? null) as Json } };
    }
    if (!t.prompt) throw new StepError('validation', `no handler is registered for task type "${type}" and the task has no prompt for an agent`);
    const prompt = interpolateText(t.prompt, ctx.expr) + (input === null ? '' : `\n\nInput:\n\n\`\`\`json\n${JSON.stringify(input, null, 2)}\n\`\`\`\n`);
    const summary = await runOnce(ctx, runs, () => runs.createTaskRun({ title: interpolateText(t.name ?? ctx.step.name ?? ctx.step.id, ctx.expr), prompt, type, repo: ctx.repo, agent: t.agent ? interpolateText(t.agent, ctx.expr) : undefined }));
    const task = summary.tasks[0];
    return { kind: 'done', output: { type, input, output: { ...summary, branch: task?.branch ?? summary.branch, prUrl: task?.prUrl ?? null, summary: task?.summary ?? null } } };
  };
}
