/**
 * Every task of a run in a virtualized table (10,000 rows scroll smoothly): search by id and title,
 * filters (status, type, phase, critical path, agent), sorting by any column. Rows are links to the
 * task's URL; ↑/↓ move between them.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { GraphNode, TaskStatus } from '../api';
import { duration, STATUS_GLYPH, TASK_STATUSES } from '../status';

interface Props {
  runId: string;
  nodes: GraphNode[];
  statuses: TaskStatus[];
  version: number;
  blocks: Map<string, number>;
  selected: string | null;
}

type SortKey = 'id' | 'title' | 'status' | 'type' | 'phase' | 'attempts' | 'duration' | 'blocks';
const ROW_H = 34;
const HEIGHT = 440;
const COLUMNS: { key: SortKey; label: string }[] = [
  { key: 'id', label: 'Task' },
  { key: 'title', label: 'Title' },
  { key: 'status', label: 'Status' },
  { key: 'type', label: 'Type' },
  { key: 'phase', label: 'Phase' },
  { key: 'attempts', label: 'Attempts' },
  { key: 'duration', label: 'Duration' },
  { key: 'blocks', label: 'Blocks' },
];

export function TaskTable({ runId, nodes, statuses, version, blocks, selected }: Props) {
  const [q, setQ] = useState('');
  const [status, setStatus] = useState<'' | TaskStatus>('');
  const [type, setType] = useState('');
  const [phase, setPhase] = useState('');
  const [agent, setAgent] = useState('');
  const [critical, setCritical] = useState(false);
  const [sort, setSort] = useState<{ key: SortKey; dir: 1 | -1 }>({ key: 'id', dir: 1 });
  const [scrollTop, setScrollTop] = useState(0);
  const [active, setActive] = useState(-1);
  const scroller = useRef<HTMLDivElement>(null);

  const options = useMemo(() => {
    const types = new Set<string>();
    const phases = new Set<number>();
    const agents = new Set<string>();
    for (const n of nodes) {
      types.add(n.type);
      if (n.phase !== null) phases.add(n.phase);
      agents.add(n.agent ?? 'run default');
    }
    return { types: [...types].sort(), phases: [...phases].sort((a, b) => a - b), agents: [...agents].sort() };
  }, [nodes]);

  const rows = useMemo(() => {
    const needle = q.trim().toLowerCase();
    const out: number[] = [];
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      if (status && statuses[i] !== status && !(status === 'pending' && statuses[i] === 'ready')) continue;
      if (type && n.type !== type) continue;
      if (phase && String(n.phase) !== phase) continue;
      if (agent && (n.agent ?? 'run default') !== agent) continue;
      if (critical && !n.critical) continue;
      if (needle && !n.id.toLowerCase().includes(needle) && !n.title.toLowerCase().includes(needle)) continue;
      out.push(i);
    }
    const ms = (n: GraphNode) => (n.startedAt ? (n.finishedAt ? Date.parse(n.finishedAt) : Date.now()) - Date.parse(n.startedAt) : -1);
    const value = (i: number): string | number => {
      const n = nodes[i]!;
      switch (sort.key) {
        case 'status': return statuses[i]!;
        case 'phase': return n.phase ?? -1;
        case 'attempts': return n.attempts;
        case 'duration': return ms(n);
        case 'blocks': return blocks.get(n.id) ?? 0;
        case 'title': return n.title.toLowerCase();
        case 'type': return n.type;
        default: return i;
      }
    };
    out.sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      return (va < vb ? -1 : va > vb ? 1 : a - b) * sort.dir;
    });
    return out;
  }, [nodes, version, q, status, type, phase, agent, critical, sort, blocks]);

  useEffect(() => {
    setActive(-1);
    if (scroller.current) scroller.current.scrollTop = 0;
    setScrollTop(0);
  }, [q, status, type, phase, agent, critical, sort]);

  useEffect(() => {
    if (active < 0) return;
    const el = scroller.current;
    if (!el) return;
    const top = active * ROW_H;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW_H * 2 > el.scrollTop + HEIGHT) el.scrollTop = top - HEIGHT + ROW_H * 2;
    requestAnimationFrame(() => el.querySelector<HTMLAnchorElement>(`tr[data-row="${active}"] a`)?.focus());
  }, [active]);

  const first = Math.max(0, Math.floor(scrollTop / ROW_H) - 8);
  const last = Math.min(rows.length, first + Math.ceil(HEIGHT / ROW_H) + 16);
  const onKey = (e: KeyboardEvent) => {
    const row = Number((e.target as HTMLElement).closest('tr')?.getAttribute('data-row') ?? -1);
    if (e.key === 'ArrowDown' || e.key === 'j') setActive(Math.min(rows.length - 1, row + 1));
    else if (e.key === 'ArrowUp' || e.key === 'k') setActive(Math.max(0, row - 1));
    else return;
    e.preventDefault();
  };
  const sel = (label: string, value: string, set: (v: string) => void, values: (string | number)[], all = 'all') => (
    <label>
      {label}{' '}
      <select value={value} onChange={(e) => set((e.target as HTMLSelectElement).value)}>
        <option value="">{all}</option>
        {values.map((v) => <option key={v} value={String(v)}>{v}</option>)}
      </select>
    </label>
  );

  return (
    <section class="task-table" aria-label="Tasks">
      <div class="filters">
        <label class="search">
          <span class="sr-only">Search tasks by id or title</span>
          <input type="search" placeholder="Search id or title…" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} data-testid="task-search" />
        </label>
        {sel('Status', status, (v) => setStatus(v as '' | TaskStatus), TASK_STATUSES.filter((s) => s !== 'ready'))}
        {sel('Type', type, setType, options.types)}
        {sel('Phase', phase, setPhase, options.phases)}
        {sel('Agent', agent, setAgent, options.agents)}
        <label><input type="checkbox" checked={critical} onChange={(e) => setCritical((e.target as HTMLInputElement).checked)} /> critical path</label>
        <span class="muted" aria-live="polite" data-testid="task-count">{rows.length} of {nodes.length} tasks</span>
      </div>
      <div class="table-scroll" ref={scroller} style={{ height: `${HEIGHT}px` }} onScroll={(e) => setScrollTop((e.target as HTMLDivElement).scrollTop)}>
        <table aria-rowcount={rows.length + 1}>
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th key={c.key} scope="col" aria-sort={sort.key === c.key ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none'}>
                  <button type="button" class="plain sort" onClick={() => setSort((s) => ({ key: c.key, dir: s.key === c.key ? (-s.dir as 1 | -1) : 1 }))}>
                    {c.label}{sort.key === c.key ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody onKeyDown={onKey}>
            {first > 0 ? <tr aria-hidden="true" style={{ height: `${first * ROW_H}px` }} /> : null}
            {rows.slice(first, last).map((i, k) => {
              const n = nodes[i]!;
              const st = statuses[i]!;
              const b = blocks.get(n.id) ?? 0;
              return (
                <tr key={n.id} data-row={first + k} data-task-row={n.id} aria-rowindex={first + k + 2} class={selected === n.id ? 'selected' : ''} style={{ height: `${ROW_H}px` }}>
                  <td><a href={`#/runs/${runId}/tasks/${encodeURIComponent(n.id)}`}><code>{n.id}</code></a></td>
                  <td class="title-cell">{n.title}{n.critical ? <span class="crit-tag" title="on the critical path"> ◆ critical</span> : null}</td>
                  <td><span class={`st st-${st}`}>{STATUS_GLYPH[st]} {st}</span></td>
                  <td>{n.type}</td>
                  <td>{n.phase ?? '—'}</td>
                  <td>{n.attempts}</td>
                  <td>{duration(n.startedAt, n.finishedAt)}</td>
                  <td>{b ? `${b} tasks` : ''}</td>
                </tr>
              );
            })}
            {last < rows.length ? <tr aria-hidden="true" style={{ height: `${(rows.length - last) * ROW_H}px` }} /> : null}
          </tbody>
        </table>
      </div>
    </section>
  );
}
