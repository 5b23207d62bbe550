/** TaskSpecs -> Plan: validates the graph (unknown ids, cycles) and attaches the schedule analysis. */
import { SourceError } from '../core/errors.js';
import { analyzeSchedule, findCycle, indexGraph, topologicalOrder } from '../core/graph.js';
import type { Plan, PlannedTask, TaskSpec } from '../core/task.js';

/** Rotates a cycle `[A, B, C, A]` to start at the member `rank` puts first. */
export function rotateCycle(cycle: string[], rank: (id: string) => number): string[] {
  const members = cycle.slice(0, -1);
  let best = 0;
  for (let i = 1; i < members.length; i++) if (rank(members[i]!) < rank(members[best]!)) best = i;
  const rotated = [...members.slice(best), ...members.slice(0, best)];
  return [...rotated, rotated[0]!];
}

/** Analyzes tasks into a Plan; throws SourceError for unknown dependencies and cycles. */
export function analyzePlan(input: { title: string; context: string; tasks: TaskSpec[]; source: string }): Plan {
  const { tasks } = input;
  const nodes = tasks.map((t) => ({ id: t.id, dependsOn: t.dependsOn, estimateMinutes: t.estimateMinutes, done: t.status === 'done' }));
  const { graph, unknown } = indexGraph(nodes);
  if (graph.index.size !== tasks.length) {
    const seen = new Map<string, TaskSpec>();
    for (const t of tasks) {
      const prev = seen.get(t.id);
      if (prev) throw new SourceError(t.source.file, t.source.line, `duplicate id "${t.id}" (first defined at ${prev.source.file}:${prev.source.line})`);
      seen.set(t.id, t);
    }
  }
  const first = unknown[0];
  if (first) {
    const t = tasks[graph.index.get(first.from)!]!;
    throw new SourceError(t.source.file, t.source.line, `unknown dependency "${first.missing}" of "${first.from}"`);
  }
  const order = topologicalOrder(graph);
  if (!order) {
    const cycle = rotateCycle(findCycle(graph)!, (id) => graph.index.get(id)!);
    const t = tasks[graph.index.get(cycle[0]!)!]!;
    throw new SourceError(t.source.file, t.source.line, `dependency cycle: ${cycle.join(' -> ')}`, { cycle });
  }
  const a = analyzeSchedule(nodes, graph, order);
  const planned: PlannedTask[] = tasks.map((t, i) => {
    const open = t.status !== 'done';
    // Spelled out rather than spread: spreading many-keyed objects is V8's slow path at 100k tasks.
    const task: PlannedTask = {
      id: t.id,
      title: t.title,
      description: t.description,
      type: t.type,
      typeReason: t.typeReason,
      priority: t.priority,
      status: t.status,
      dependsOn: t.dependsOn,
      estimateMinutes: t.estimateMinutes,
      files: t.files,
      acceptanceCriteria: t.acceptanceCriteria,
      requirementId: t.requirementId,
      requirementTitle: t.requirementTitle,
      agent: t.agent,
      ...(t.verify ? { verify: t.verify } : {}),
      source: t.source,
      notes: t.notes,
      phase: open ? a.phase[i]! : null,
      earliestStartMinutes: open ? a.earliestStart[i]! : 0,
      slackMinutes: open ? a.slack[i]! : 0,
      critical: open && a.critical[i] === 1,
      tailMinutes: open ? a.tail[i]! : 0,
    };
    // Only queries carry a prompt of their own; other tasks get no key for it.
    if (t.prompt !== undefined) task.prompt = t.prompt;
    return task;
  });
  const id = (i: number) => graph.ids[i]!;
  return {
    title: input.title,
    context: input.context,
    tasks: planned,
    phases: a.phases.map((p) => p.map(id)),
    criticalPath: a.criticalPath.map(id),
    criticalPathMinutes: a.criticalPathMinutes,
    totalMinutes: a.totalMinutes,
    source: input.source,
  };
}
