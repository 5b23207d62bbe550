/** Graph renderings of a plan: Mermaid flowchart and Graphviz dot, critical path marked. */
import type { Plan } from '../../core/task.js';

/** A Mermaid `flowchart` with dependency edges; critical tasks get the `critical` class. */
export function planToMermaid(plan: Plan): string {
  const key = new Map(plan.tasks.map((t, i) => [t.id, `t${i}`]));
  const label = (s: string) => s.replace(/"/g, '#quot;').replace(/[<>]/g, (c) => (c === '<' ? '#lt;' : '#gt;'));
  const out = ['flowchart LR'];
  for (const t of plan.tasks) {
    const text = label(`${t.id}: ${t.title}`);
    out.push(t.status === 'done' ? `  ${key.get(t.id)}(["${text} ✓"])` : `  ${key.get(t.id)}["${text}"]`);
  }
  const onPath = new Set<string>();
  for (let i = 1; i < plan.criticalPath.length; i++) onPath.add(`${plan.criticalPath[i - 1]}>${plan.criticalPath[i]}`);
  let edge = 0;
  const criticalEdges: number[] = [];
  for (const t of plan.tasks) {
    for (const d of t.dependsOn) {
      if (!key.has(d)) continue;
      out.push(`  ${key.get(d)} --> ${key.get(t.id)}`);
      if (onPath.has(`${d}>${t.id}`)) criticalEdges.push(edge);
      edge++;
    }
  }
  const critical = plan.tasks.filter((t) => t.critical).map((t) => key.get(t.id));
  out.push('  classDef critical stroke:#d1242f,stroke-width:3px;');
  out.push('  classDef done fill:#eee,color:#888;');
  if (critical.length) out.push(`  class ${critical.join(',')} critical;`);
  const done = plan.tasks.filter((t) => t.status === 'done').map((t) => key.get(t.id));
  if (done.length) out.push(`  class ${done.join(',')} done;`);
  if (criticalEdges.length) out.push(`  linkStyle ${criticalEdges.join(',')} stroke:#d1242f,stroke-width:3px;`);
  return out.join('\n') + '\n';
}

/** A Graphviz digraph; edges point from a dependency to its dependent. */
export function planToDot(plan: Plan): string {
  const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const onPath = new Set<string>();
  for (let i = 1; i < plan.criticalPath.length; i++) onPath.add(`${plan.criticalPath[i - 1]}>${plan.criticalPath[i]}`);
  const out = [`digraph ${q(plan.title)} {`, '  rankdir=LR;', '  node [shape=box, style=rounded];'];
  for (const t of plan.tasks) {
    const attrs = [`label=${q(`${t.id}\n${t.title}`)}`];
    if (t.critical) attrs.push('color="#d1242f"', 'penwidth=2');
    if (t.status === 'done') attrs.push('style="rounded,dashed"', 'fontcolor="#888888"');
    out.push(`  ${q(t.id)} [${attrs.join(', ')}];`);
  }
  for (const t of plan.tasks) {
    for (const d of t.dependsOn) {
      out.push(`  ${q(d)} -> ${q(t.id)}${onPath.has(`${d}>${t.id}`) ? ' [color="#d1242f", penwidth=2]' : ''};`);
    }
  }
  out.push('}');
  return out.join('\n') + '\n';
}
