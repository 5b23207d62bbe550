/** Requirements text (and optional structure text) -> Plan. Pure: callers read the files. */
import { SourceError } from '../core/errors.js';
import { findCycle, indexGraph } from '../core/graph.js';
import type { Plan } from '../core/task.js';
import { analyzePlan, rotateCycle } from './analyze-plan.js';
import { buildTasks, DEFAULT_ESTIMATE_MINUTES } from './build-tasks.js';
import { applyInterfaceFirst } from './interface-first.js';
import { parseRequirements } from './parse-requirements.js';
import { parseStructure } from './parse-structure.js';

export interface PlanInput {
  requirements: { text: string; file: string };
  structure?: { text: string; file: string };
  defaultEstimateMinutes?: number;
}

/** Parses, expands and analyzes a requirements document into a Plan. */
export function buildPlan(input: PlanInput): Plan {
  const { file } = input.requirements;
  const estimate = input.defaultEstimateMinutes ?? DEFAULT_ESTIMATE_MINUTES;
  const doc = parseRequirements(input.requirements.text, file);
  const built = buildTasks(doc, estimate);

  // Name cycles by requirement (what the user wrote), before items multiply them.
  const reqNodes = doc.requirements.map((r) => ({ id: r.id, dependsOn: built.requirementDeps.get(r.id) ?? [], estimateMinutes: 0 }));
  const reqCycle = findCycle(indexGraph(reqNodes).graph);
  if (reqCycle) {
    const order = new Map(doc.requirements.map((r, i) => [r.id, i]));
    const cycle = rotateCycle(reqCycle, (id) => order.get(id)!);
    throw new SourceError(file, built.requirementLines.get(cycle[0]!)!, `dependency cycle: ${cycle.join(' -> ')}`, { cycle });
  }

  if (input.structure) {
    const components = parseStructure(input.structure.text, input.structure.file);
    applyInterfaceFirst(built.tasks, components, estimate, input.structure.file);
  }
  return analyzePlan({ title: doc.title, context: doc.context, tasks: built.tasks, source: file });
}
