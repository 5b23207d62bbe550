/** The `weft plan --json` shape (also served by `POST /api/v1/plans`). */
import type { Plan } from '../../core/task.js';

/** Plan as plain JSON; `explain` adds why each type and dependency was chosen. */
export function planToJson(plan: Plan, options: { explain?: boolean } = {}) {
  return {
    title: plan.title,
    context: plan.context,
    tasks: plan.tasks.map((t) => ({
      id: t.id,
      title: t.title,
      type: t.type,
      priority: t.priority,
      status: t.status,
      dependsOn: t.dependsOn,
      estimateMinutes: t.estimateMinutes,
      phase: t.phase,
      slackMinutes: t.slackMinutes,
      critical: t.critical,
      files: t.files,
      requirementId: t.requirementId,
      acceptanceCriteria: t.acceptanceCriteria,
      ...(t.agent ? { agent: t.agent } : {}),
      ...(t.verify ? { verify: t.verify } : {}),
      source: t.source,
      ...(options.explain ? { typeReason: t.typeReason, notes: t.notes ?? [] } : {}),
    })),
    phases: plan.phases,
    criticalPath: plan.criticalPath,
    criticalPathMinutes: plan.criticalPathMinutes,
    totalMinutes: plan.totalMinutes,
  };
}

export type PlanJson = ReturnType<typeof planToJson>;
