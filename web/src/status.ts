/** Status colours and labels, shared by the graph, the lists and the legend. */
import type { TaskStatus } from './api';

export const STATUS_COLORS: Record<TaskStatus, { fill: string; stroke: string; text: string }> = {
  pending: { fill: '#eaeef2', stroke: '#afb8c1', text: '#424a53' },
  ready: { fill: '#ddf4ff', stroke: '#54aeff', text: '#0550ae' },
  running: { fill: '#fff8c5', stroke: '#d4a72c', text: '#7d4e00' },
  succeeded: { fill: '#dafbe1', stroke: '#4ac26b', text: '#116329' },
  done: { fill: '#e6f6e9', stroke: '#8ddb8c', text: '#116329' },
  failed: { fill: '#ffebe9', stroke: '#ff8182', text: '#a40e26' },
  blocked: { fill: '#fbefff', stroke: '#c297ff', text: '#6639ba' },
  cancelled: { fill: '#f6f8fa', stroke: '#8c959f', text: '#57606a' },
};

export const TASK_STATUSES = Object.keys(STATUS_COLORS) as TaskStatus[];

/** Human duration between two ISO times (or until now). */
export function duration(from: string | null, to: string | null): string {
  if (!from) return '—';
  const ms = (to ? Date.parse(to) : Date.now()) - Date.parse(from);
  return formatMs(ms);
}

export function formatMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
}

export function when(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}
