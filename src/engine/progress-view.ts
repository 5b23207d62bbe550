/**
 * The terminal progress view: on a TTY, a live list of running tasks (elapsed time, attempt) under an
 * overall bar; elsewhere, one line per notable event. It only listens to engine events.
 */
import { styleText } from 'node:util';
import { formatDuration } from './run-report.js';
import type { EngineEvents } from './events.js';

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
  /** Print a line for every task start and success (line mode); off for large runs. */
  verbose?: boolean;
}

/** Attaches a progress view to the events; returns a function that stops it and prints the last frame. */
export function attachProgressView(events: EngineEvents, total: number, options: ProgressOptions = {}): () => void {
  const stream = options.stream ?? process.stderr;
  const live = options.live ?? Boolean(stream.isTTY);
  const color = options.color ?? (live && !process.env.NO_COLOR);
  const verbose = options.verbose ?? total <= 200;
  const st = (f: Parameters<typeof styleText>[0], t: string) => (color ? styleText(f, t) : t);
  const running = new Map<string, Running>();
  let finished = 0;
  let failed = 0;
  let retries = 0;
  const started = Date.now();
  let lastLines = 0;

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
    const done = Math.min(barWidth, Math.round((finished / Math.max(1, total)) * barWidth));
    const bar = st('green', '█'.repeat(done)) + st('dim', '░'.repeat(barWidth - done));
    const rows = [`${bar} ${finished}/${total} · ${running.size} running${failed ? ` · ${st('red', `${failed} failed`)}` : ''}${retries ? ` · ${retries} retries` : ''} · ${formatDuration(Date.now() - started)}`];
    const shown = [...running.entries()].slice(0, 12);
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
    if (!live && verbose) line(`▸ ${e.taskId} started (attempt ${e.attempt}, ${e.agent})`);
  });
  events.on('task.succeeded', (e) => {
    const r = running.get(e.taskId);
    running.delete(e.taskId);
    finished++;
    if (verbose || live) line(`${st('green', '✔')} ${e.taskId} ${r?.title ?? ''} ${st('dim', formatDuration(e.durationMs))}${e.prUrl ? ` ${e.prUrl}` : ''}`);
  });
  events.on('attempt.failed', (e) => {
    running.delete(e.taskId);
    line(`${st('yellow', '✖')} ${e.taskId} attempt ${e.attempt} failed (${e.category}): ${e.message.split('\n')[0]}${e.willRetry ? '' : ''}`);
  });
  events.on('retry.scheduled', (e) => {
    retries++;
    if (verbose || live) line(st('dim', `↻ ${e.taskId} retry as attempt ${e.attempt} in ${formatDuration(e.delayMs)}`));
  });
  events.on('task.failed', (e) => {
    finished++;
    failed++;
    line(`${st('red', '✖')} ${e.taskId} failed for good after ${e.attempt} attempt${e.attempt === 1 ? '' : 's'} (${e.category})`);
  });
  events.on('task.blocked', (e) => {
    finished++;
    if (verbose || live) line(st('dim', `⊘ ${e.taskId} blocked by ${e.by}`));
  });
  events.on('task.cancelled', (e) => {
    running.delete(e.taskId);
    finished++;
    line(st('dim', `⊘ ${e.taskId} cancelled`));
  });
  events.on('task.reclaimed', (e) => line(st('dim', `↺ ${e.taskId} reclaimed from a stopped worker`)));
  events.on('backend.paused', (e) => line(st('yellow', `⏸ ${e.backend} paused: ${e.reason}`)));

  const timer = live ? setInterval(() => {
    clear();
    draw();
  }, 250) : setInterval(() => {
    if (!verbose) stream.write(`… ${finished}/${total} finished · ${running.size} running · ${formatDuration(Date.now() - started)}\n`);
  }, 5000);
  timer.unref();
  if (live) draw();
  return () => {
    clearInterval(timer);
    if (live) clear();
  };
}
