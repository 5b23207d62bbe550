/** The human-readable `weft plan` output: phases, critical path and totals at a glance. */
import { styleText } from 'node:util';
import type { Plan } from '../../core/task.js';
import { formatMinutes } from '../estimate.js';

type Style = (format: Parameters<typeof styleText>[0], text: string) => string;

/** Renders a plan for a terminal; `color` turns ANSI styling on. */
export function planToText(plan: Plan, options: { color?: boolean; explain?: boolean } = {}): string {
  const style: Style = options.color ? (f, t) => styleText(f, t) : (_f, t) => t;
  const open = plan.tasks.filter((t) => t.status !== 'done');
  const done = plan.tasks.filter((t) => t.status === 'done');
  const byId = new Map(plan.tasks.map((t) => [t.id, t]));
  const out: string[] = [];
  out.push(style('bold', plan.title));
  out.push(
    `${open.length} open task${open.length === 1 ? '' : 's'}${done.length ? `, ${done.length} done` : ''} · ` +
      `${plan.phases.length} phase${plan.phases.length === 1 ? '' : 's'} · total ${formatMinutes(plan.totalMinutes)} · ` +
      `critical path ${formatMinutes(plan.criticalPathMinutes)}`,
  );
  const idWidth = Math.min(24, Math.max(4, ...open.map((t) => t.id.length)));
  plan.phases.forEach((ids, k) => {
    out.push('');
    out.push(style('bold', `Phase ${k + 1}`) + style('dim', ` · ${ids.length} task${ids.length === 1 ? '' : 's'}${ids.length > 1 ? ' in parallel' : ''}`));
    for (const id of ids) {
      const t = byId.get(id)!;
      const mark = t.critical ? style('red', '●') : ' ';
      const meta = `${t.type} · ${t.priority} · ${formatMinutes(t.estimateMinutes)}${t.critical ? '' : ` · slack ${formatMinutes(t.slackMinutes)}`}`;
      out.push(`  ${mark} ${t.id.padEnd(idWidth)}  ${t.title}  ${style('dim', meta)}`);
      if (t.dependsOn.length) out.push(style('dim', `    ${' '.repeat(idWidth)}  after ${t.dependsOn.join(', ')}`));
      if (options.explain) {
        out.push(style('dim', `    ${' '.repeat(idWidth)}  type: ${t.typeReason}`));
        for (const n of t.notes ?? []) out.push(style('dim', `    ${' '.repeat(idWidth)}  ${n}`));
      }
    }
  });
  if (done.length) {
    out.push('');
    out.push(style('bold', 'Already done') + style('dim', ` · ${done.map((t) => t.id).join(', ')}`));
  }
  out.push('');
  out.push(`${style('bold', 'Critical path')} ${style('dim', `(${formatMinutes(plan.criticalPathMinutes)})`)}: ${plan.criticalPath.join(' → ') || '—'}`);
  return out.join('\n') + '\n';
}
