/** Spawns a program as argv (never through a shell), streams its output, keeps bounded tails, and stops it on abort. */
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { delimiter, isAbsolute, join } from 'node:path';
import { AgentError } from './agent-backend.js';

/** Default size of the kept output tail: enough to see the failure, small enough for a database row. */
export const DEFAULT_TAIL_CHARS = 16 * 1024;

export interface RunProcessOptions {
  argv: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed (so programs reading stdin never wait for a terminal). */
  input?: string;
  signal?: AbortSignal;
  /** Every chunk of stdout and stderr as it arrives. */
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
  /** Each complete stdout line (structured-output parsers read these). */
  onStdoutLine?: (line: string) => void;
  tailChars?: number;
  /** Time between SIGTERM and SIGKILL after an abort. */
  killGraceMs?: number;
  /** How long pipes may stay open after the program exited before what still holds them is killed. */
  exitGraceMs?: number;
  /** Longest stdout line handed to `onStdoutLine`; the rest of a longer line is dropped. */
  maxLineChars?: number;
  /**
   * Ends the program's whole process group when weft itself dies (SIGKILL included): a watcher in the
   * group waits on a pipe only weft holds. Default true on Linux and macOS.
   */
  watchdog?: boolean;
  /** Called once the program started, with its pid (also its process group id). */
  onSpawn?: (pid: number) => void;
}

/**
 * Runs in the agent's process group: a watcher blocks on fd 3 (a pipe whose other end only weft holds)
 * and, once it reads end-of-file because weft is gone, kills the group. The agent itself runs with fd 3
 * closed, as argv ("$@"), never as shell text.
 */
const WATCHDOG = '(trap "" TERM INT HUP; read _ <&3; kill -KILL 0) </dev/null >/dev/null 2>&1 & exec "$@" 3<&-';

/** Default longest line for structured-output parsers (a JSON event is far smaller). */
export const DEFAULT_MAX_LINE_CHARS = 4 * 1024 * 1024;

/**
 * Splits a stream into lines in linear time and bounded memory: a line longer than `max` is cut
 * there (whatever an agent prints without a newline, memory stays about `max`).
 */
export class LineSplitter {
  #parts: string[] = [];
  #size = 0;
  constructor(
    private readonly onLine: (line: string) => void,
    private readonly max: number,
  ) {}

  /** Takes a chunk; calls `onLine` for each line it completes. */
  push(chunk: string): void {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      this.#add(chunk.slice(start, nl));
      this.#emit();
      start = nl + 1;
    }
    if (start < chunk.length) this.#add(start === 0 ? chunk : chunk.slice(start));
  }

  /** Hands over the last line when it had no newline. */
  end(): void {
    if (this.#size > 0 || this.#parts.length > 0) this.#emit();
  }

  #add(text: string): void {
    const room = this.max - this.#size;
    if (room <= 0 || text.length === 0) return;
    const kept = text.length > room ? text.slice(0, room) : text;
    this.#parts.push(kept);
    this.#size += kept.length;
  }

  #emit(): void {
    const line = this.#parts.length === 1 ? this.#parts[0]! : this.#parts.join('');
    this.#parts = [];
    this.#size = 0;
    this.onLine(line);
  }
}

export interface ProcessOutcome {
  /** Exit code; null when the process died from a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Bounded tail of stdout and stderr interleaved as they arrived. */
  tail: string;
  /** Bounded tail of stdout alone. */
  stdoutTail: string;
}

/** Keeps only the last `max` characters of what is appended, without re-slicing on every chunk. */
export class TailBuffer {
  #text = '';
  constructor(private readonly max: number) {}
  /** Appends a chunk. */
  push(chunk: string): void {
    this.#text += chunk;
    if (this.#text.length > this.max * 2) this.#text = this.#text.slice(-this.max);
  }
  /** The kept tail. */
  toString(): string {
    return this.#text.length > this.max ? this.#text.slice(-this.max) : this.#text;
  }
}

/** The AgentError an aborted signal stands for: `timeout` when the engine's time limit fired, else `cancelled`. */
export function abortedError(signal: AbortSignal, what = 'attempt'): AgentError {
  return signal.reason === 'timeout' ? new AgentError('timeout', `${what} timed out`) : new AgentError('cancelled', `${what} cancelled`);
}

/**
 * Runs argv to completion. Resolves with the exit status (non-zero included); rejects with
 * AgentError('validation') when the program cannot be started, or the abort error after killing it.
 */
export function runProcess(opts: RunProcessOptions): Promise<ProcessOutcome> {
  const [file, ...args] = opts.argv;
  if (!file) return Promise.reject(new AgentError('validation', 'empty command'));
  if (opts.signal?.aborted) return Promise.reject(abortedError(opts.signal));
  const tail = new TailBuffer(opts.tailChars ?? DEFAULT_TAIL_CHARS);
  const stdoutTail = new TailBuffer(opts.tailChars ?? DEFAULT_TAIL_CHARS);
  const watchdog = (opts.watchdog ?? true) && process.platform !== 'win32';
  // With the watchdog, sh starts first: a missing program must still be "command not found", not sh's exit 127.
  const missing = watchdog ? missingProgram(file, opts.env ?? process.env, opts.cwd) : null;
  if (missing) return Promise.reject(new AgentError('validation', missing));
  return new Promise((resolve, reject) => {
    // A process group of its own lets an abort reach the agent's children too (npm -> node -> ...).
    const [program, programArgs] = watchdog ? ['/bin/sh', ['-c', WATCHDOG, 'weft-agent', file, ...args]] : [file, args];
    const child = spawn(program, programArgs, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: watchdog ? ['pipe', 'pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
    });
    const lifeline = watchdog ? (child.stdio[3] as Socket | null) : null;
    lifeline?.on('error', () => undefined);
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const kill = (sig: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, sig);
        else child.kill(sig);
      } catch {
        child.kill(sig);
      }
    };
    const onAbort = () => {
      kill('SIGTERM');
      killTimer = setTimeout(() => kill('SIGKILL'), opts.killGraceMs ?? 5000);
      killTimer.unref();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };

    const lines = opts.onStdoutLine ? new LineSplitter(opts.onStdoutLine, opts.maxLineChars ?? DEFAULT_MAX_LINE_CHARS) : null;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      tail.push(chunk);
      stdoutTail.push(chunk);
      opts.onOutput?.(chunk, 'stdout');
      lines?.push(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      tail.push(chunk);
      opts.onOutput?.(chunk, 'stderr');
    });
    // A program that exits without reading stdin makes the write fail with EPIPE; that is not an error here.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');

    child.on('error', (err: NodeJS.ErrnoException) => {
      if (killTimer) clearTimeout(killTimer);
      const message =
        err.code === 'ENOENT' ? `command not found: ${file}` : err.code === 'EACCES' ? `command not executable: ${file}` : `cannot start ${file}: ${err.message}`;
      finish(() => reject(new AgentError('validation', message)));
    });
    // A background process the agent left behind can hold the pipes open after the agent exited;
    // without this, the attempt would hang until its timeout.
    let exitTimer: NodeJS.Timeout | undefined;
    child.on('exit', () => {
      exitTimer = setTimeout(() => kill('SIGKILL'), opts.exitGraceMs ?? 2000);
      exitTimer.unref();
    });
    child.on('close', (code, signal) => {
      if (killTimer) clearTimeout(killTimer);
      if (exitTimer) clearTimeout(exitTimer);
      // Whatever the agent left in its group (background jobs, the watcher) ends with it.
      if (watchdog) kill('SIGKILL');
      lifeline?.destroy();
      lines?.end();
      if (opts.signal?.aborted) return finish(() => reject(withOutput(abortedError(opts.signal!), tail.toString())));
      finish(() => resolve({ code, signal, tail: tail.toString(), stdoutTail: stdoutTail.toString() }));
    });
  });
}

/** Why `file` cannot be run (looked up on the child's PATH like execvp would), or null. */
function missingProgram(file: string, env: NodeJS.ProcessEnv, cwd: string): string | null {
  const check = (p: string): 'ok' | 'missing' | 'noexec' => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile() ? 'ok' : 'noexec';
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EACCES' ? 'noexec' : 'missing';
    }
  };
  if (file.includes('/')) {
    const r = check(isAbsolute(file) ? file : join(cwd, file));
    return r === 'ok' ? null : r === 'noexec' ? `command not executable: ${file}` : `command not found: ${file}`;
  }
  let noexec = false;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const r = check(join(isAbsolute(dir) ? dir : join(cwd, dir), file));
    if (r === 'ok') return null;
    if (r === 'noexec') noexec = true;
  }
  return noexec ? `command not executable: ${file}` : `command not found: ${file}`;
}

function withOutput(err: AgentError, output: string): AgentError {
  return new AgentError(err.category, err.message, { output });
}
