/** Status colours, glyphs and labels, shared by the graph, the table, the lists and the legend. */
import type { TaskStatus } from './api';

export interface StatusColor {
  fill: string;
  stroke: string;
  text: string;
}

export const STATUS_COLORS: Record<TaskStatus, StatusColor> = {
  pending: { fill: '#eaeef2', stroke: '#afb8c1', text: '#424a53' },
  ready: { fill: '#ddf4ff', stroke: '#54aeff', text: '#0550ae' },
  running: { fill: '#fff8c5', stroke: '#d4a72c', text: '#7d4e00' },
  succeeded: { fill: '#dafbe1', stroke: '#4ac26b', text: '#116329' },
  done: { fill: '#e6f6e9', stroke: '#8ddb8c', text: '#116329' },
  failed: { fill: '#ffebe9', stroke: '#ff8182', text: '#a40e26' },
  blocked: { fill: '#fbefff', stroke: '#c297ff', text: '#6639ba' },
  cancelled: { fill: '#f6f8fa', stroke: '#8c959f', text: '#57606a' },
};

/** The same roles for a dark page. */
export const STATUS_COLORS_DARK: Record<TaskStatus, StatusColor> = {
  pending: { fill: '#2d333b', stroke: '#636e7b', text: '#adbac7' },
  ready: { fill: '#143d79', stroke: '#4184e4', text: '#96d0ff' },
  running: { fill: '#4d3800', stroke: '#c69026', text: '#f2cc60' },
  succeeded: { fill: '#1b4721', stroke: '#46954a', text: '#8ddb8c' },
  done: { fill: '#1f3a24', stroke: '#347d39', text: '#8ddb8c' },
  failed: { fill: '#5d0f12', stroke: '#e5534b', text: '#ffb8b0' },
  blocked: { fill: '#3c1e70', stroke: '#986ee2', text: '#dcbdfb' },
  cancelled: { fill: '#22272e', stroke: '#768390', text: '#909dab' },
};

/** A glyph per status, so no status is told by colour alone. */
export const STATUS_GLYPH: Record<TaskStatus, string> = {
  pending: '○',
  ready: '◌',
  running: '▶',
  succeeded: '✔',
  done: '✔',
  failed: '✖',
  blocked: '⊘',
  cancelled: '■',
};

export const TASK_STATUSES = Object.keys(STATUS_COLORS) as TaskStatus[];

/** Whether the page is in dark mode (follows the system). */
export function prefersDark(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches;
}

/** The palette for the current colour scheme. */
export function palette(): Record<TaskStatus, StatusColor> {
  return prefersDark() ? STATUS_COLORS_DARK : STATUS_COLORS;
}

/** Human duration between two ISO times (or until now). */
export function duration(from: string | null, to: string | null): string {
  if (!from) return '—';
  const ms = (to ? Date.parse(to) : Date.now()) - Date.parse(from);
  return formatMs(ms);
}

/** `850ms`, `12.3s`, `2m46s`, `1h05m` — as the terminal writes them. */
export function formatMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const m = Math.floor(s / 60);
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function when(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}
