/** The real `weft` CLI as child processes: spawned, watched and stopped by tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

/** A running weft process with its output so far and a promise of its exit. */
export interface WeftProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends SIGTERM and waits for the exit. */
  stop: () => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `weft <args>` in `cwd` (without the caller's WEFT_DB unless given). */
export function startWeft(args: string[], opts: { cwd: string; env?: Record<string, string> }): WeftProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...opts.env };
  if (opts.env?.WEFT_DB === undefined) delete env.WEFT_DB;
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    output: () => out,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs `weft <args>` to the end. */
export async function runWeft(args: string[], opts: { cwd: string; env?: Record<string, string> }): Promise<{ code: number | null; output: string }> {
  const p = startWeft(args, opts);
  const { code } = await p.exited;
  return { code, output: p.output() };
}
