/** Spawns a program as argv (never through a shell), streams its output, keeps bounded tails, and stops it on abort. */
import { spawn } from 'node:child_process';
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
  return new Promise((resolve, reject) => {
    // A process group of its own lets an abort reach the agent's children too (npm -> node -> ...).
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
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

    let pendingLine = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      tail.push(chunk);
      stdoutTail.push(chunk);
      opts.onOutput?.(chunk, 'stdout');
      if (opts.onStdoutLine) {
        const lines = (pendingLine + chunk).split('\n');
        pendingLine = lines.pop() ?? '';
        for (const line of lines) opts.onStdoutLine(line);
      }
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
      if (pendingLine && opts.onStdoutLine) opts.onStdoutLine(pendingLine);
      if (opts.signal?.aborted) return finish(() => reject(withOutput(abortedError(opts.signal!), tail.toString())));
      finish(() => resolve({ code, signal, tail: tail.toString(), stdoutTail: stdoutTail.toString() }));
    });
  });
}

function withOutput(err: AgentError, output: string): AgentError {
  return new AgentError(err.category, err.message, { output });
}
