/**
 * The terminal progress view: on a TTY, a live summary line (every outcome counted apart, the ETA)
 * over the running tasks; elsewhere, one line per notable event. Large runs print failures as they
 * happen, never every success. It only listens to engine events.
 */
import { styleText } from 'node:util';
import { estimateEta, type EtaSample, type EtaTask } from '../core/estimate-eta.js';
import { bucketOf, emptyCounts, type FigureBucket } from '../core/run-figures.js';
import type { TaskStatus } from '../core/task.js';
import { formatDuration } from './run-report.js';
import type { EngineEvents } from './events.js';
import { formatCost } from '../core/usage.js';

interface Running {
  title: string;
  attempt: number;
  since: number;
  agent: string;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Redraw in place (TTY) or print lines. Defaults to the stream being a TTY. */
  live?: boolean;
  color?: boolean;
  /** Print a line for every task start and success; off for large runs (over 200 tasks). */
  verbose?: boolean;
  /** The run's tasks as stored when the view starts (a resumed run starts with its counts right), for counts and the ETA. */
  tasks?: readonly EtaTask[];
  /** Finished attempts so far (a resumed run's pace). */
  samples?: readonly EtaSample[];
  /** The run's concurrency, for the ETA. */
  concurrency?: number;
}

/** Stops the view (clearing the live frame); `note` prints a line that stays above the live frame. */
export type ProgressView = (() => void) & { note: (text: string) => void };

const ETA_EVERY_MS = 1000;

/** Attaches a progress view to the events. `total` counts the tasks still to do when `options.tasks` is absent. */
export function attachProgressView(events: EngineEvents, total: number, options: ProgressOptions = {}): ProgressView {
  const stream = options.stream ?? process.stderr;
  const live = options.live ?? Boolean(stream.isTTY);
  const color = options.color ?? (live && !process.env.NO_COLOR);
  const tasks = new Map<string, EtaTask>((options.tasks ?? []).map((t) => [t.id, { ...t }]));
  const open = tasks.size ? [...tasks.values()].filter((t) => t.status !== 'done').length : total;
  const verbose = options.verbose ?? open <= 200;
  const st = (f: Parameters<typeof styleText>[0], t: string) => (color ? styleText(f, t) : t);
  const counts = emptyCounts();
  for (const t of tasks.values()) if (t.status !== 'done') counts[bucketOf(t.status)]++;
  if (!tasks.size) counts.pending = total;
  const samples: EtaSample[] = [...(options.samples ?? [])];
  const running = new Map<string, Running>();
  let retries = 0;
  const started = Date.now();
  let lastLines = 0;
  let eta: { at: number; text: string } | null = null;

  // Tasks the view was not given start as pending.
  const untracked = new Map<string, TaskStatus>();
  const setStatus = (id: string, status: TaskStatus) => {
    const t = tasks.get(id);
    const from: FigureBucket = bucketOf(t?.status ?? untracked.get(id) ?? 'pending');
    if (t) t.status = status;
    else untracked.set(id, status);
    if (from === bucketOf(status)) return;
    if (counts[from] > 0) counts[from]--;
    counts[bucketOf(status)]++;
    eta = null;
  };
  const etaText = (): string => {
    if (!tasks.size || !options.concurrency) return '';
    const now = Date.now();
    if (eta && now - eta.at < ETA_EVERY_MS) return eta.text;
    for (const [id, r] of running) {
      const t = tasks.get(id);
      if (t) t.runningSince = r.since;
    }
    const e = estimateEta([...tasks.values()], { concurrency: options.concurrency, samples, now });
    eta = { at: now, text: e.basis === 'done' ? '' : ` · ETA ${formatDuration(e.remainingMs)}${e.basis === 'estimates' ? ' (from estimates)' : ''}` };
    return eta.text;
  };
  const summary = (): string => {
    const finished = counts.succeeded + counts.failed + counts.blocked + counts.cancelled;
    const parts = [
      `${finished}/${open}`,
      counts.succeeded ? st('green', `${counts.succeeded} succeeded`) : '',
      counts.failed ? st('red', `${counts.failed} failed`) : '',
      counts.blocked ? st('yellow', `${counts.blocked} blocked`) : '',
      counts.cancelled ? `${counts.cancelled} cancelled` : '',
      `${running.size} running`,
      counts.pending ? `${counts.pending} pending` : '',
      retries ? `${retries} retries` : '',
      formatDuration(Date.now() - started),
    ].filter(Boolean);
    return parts.join(' · ') + etaText();
  };

  const line = (text: string) => {
    if (live) clear();
    stream.write(text + '\n');
    if (live) draw();
  };
  const clear = () => {
    if (lastLines > 0) stream.write(`\x1b[${lastLines}A\x1b[0J`);
    lastLines = 0;
  };
  const draw = () => {
    const width = Math.max(40, (stream.columns ?? 100) - 1);
    const barWidth = 28;
    const finished = counts.succeeded + counts.failed + counts.blocked + counts.cancelled;
    const done = Math.min(barWidth, Math.round((finished / Math.max(1, open)) * barWidth));
    const bar = st('green', '█'.repeat(done)) + st('dim', '░'.repeat(barWidth - done));
    const rows = [`${bar} ${summary()}`];
    const shown = [...running.entries()].slice(0, verbose ? 12 : 8);
    for (const [id, r] of shown) {
      const text = `  ${st('cyan', '▸')} ${id}  ${r.title}`;
      const meta = ` ${st('dim', `attempt ${r.attempt} · ${formatDuration(Date.now() - r.since)} · ${r.agent}`)}`;
      rows.push((text.length > width - 30 ? text.slice(0, width - 31) + '…' : text) + meta);
    }
    if (running.size > shown.length) rows.push(st('dim', `  … and ${running.size - shown.length} more`));
    stream.write(rows.join('\n') + '\n');
    lastLines = rows.length;
  };

  events.on('task.started', (e) => {
    running.set(e.taskId, { title: e.title, attempt: e.attempt, since: Date.now(), agent: e.agent });
    setStatus(e.taskId, 'running');
    if (!live && verbose) line(`▸ ${e.taskId} started (attempt ${e.attempt}, ${e.agent})`);
  });
  events.on('task.succeeded', (e) => {
    const r = running.get(e.taskId);
    running.delete(e.taskId);
    const t = tasks.get(e.taskId);
    if (r && t) samples.push({ estimateMinutes: t.estimateMinutes, durationMs: Date.now() - r.since });
    setStatus(e.taskId, 'succeeded');
    if (verbose) line(`${st('green', '✔')} ${e.taskId} ${r?.title ?? ''} ${st('dim', formatDuration(e.durationMs))}${e.prUrl ? ` ${e.prUrl}` : ''}`);
  });
  events.on('attempt.failed', (e) => {
    running.delete(e.taskId);
    setStatus(e.taskId, 'pending');
    if (verbose) line(`${st('yellow', '✖')} ${e.taskId} attempt ${e.attempt} failed (${e.category}): ${e.message.split('\n')[0]}`);
  });
  events.on('retry.scheduled', (e) => {
    retries++;
    if (verbose) line(st('dim', `↻ ${e.taskId} retry as attempt ${e.attempt} in ${formatDuration(e.delayMs)}`));
  });
  events.on('task.failed', (e) => {
    running.delete(e.taskId);
    setStatus(e.taskId, 'failed');
    const why = verbose ? '' : `: ${e.message.split('\n')[0]}`;
    line(`${st('red', '✖')} ${e.taskId} failed for good after ${e.attempt} attempt${e.attempt === 1 ? '' : 's'} (${e.category})${why}`);
  });
  events.on('task.blocked', (e) => {
    setStatus(e.taskId, 'blocked');
    if (verbose) line(st('dim', `⊘ ${e.taskId} blocked by ${e.by}`));
  });
  events.on('task.cancelled', (e) => {
    running.delete(e.taskId);
    setStatus(e.taskId, 'cancelled');
    if (verbose) line(st('dim', `⊘ ${e.taskId} cancelled`));
  });
  events.on('task.reclaimed', (e) => {
    running.delete(e.taskId);
    setStatus(e.taskId, 'ready');
    line(st('dim', `↺ ${e.taskId} reclaimed from a stopped worker`));
  });
  events.on('backend.paused', (e) =>
    line(st('yellow', `⏸ ${e.backend} paused until ${new Date(e.untilMs).toISOString().replace('.000Z', 'Z')} (${formatDuration(Math.max(0, e.untilMs - Date.now()))}): ${e.reason}; its tasks wait without using attempts`)),
  );
  events.on('budget.exhausted', (e) =>
    line(st('red', `$ budget spent: ${formatCost(e.spentUsd)} of ${formatCost(e.maxCostUsd)}; no new attempts${e.running ? `, ${e.running} running finish` : ''}`)),
  );

  const timer = live
    ? setInterval(() => {
        clear();
        draw();
      }, 250)
    : setInterval(() => {
        if (!verbose) stream.write(`… ${summary()}\n`);
      }, 5000);
  timer.unref();
  if (live) draw();
  let stopped = false;
  const stop = () => {
    clearInterval(timer);
    if (live && !stopped) clear();
    stopped = true;
  };
  return Object.assign(stop, { note: (text: string) => (stopped ? void stream.write(text + '\n') : line(text)) });
}
