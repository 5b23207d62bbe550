/** `run:` — a command as argv (never a shell) in a worktree of the workflow's repository. */
import { spawn } from 'node:child_process';
import { isAbsolute, join } from 'node:path';
import type { Json } from '../../store/records.js';
import { interpolate, interpolateText } from '../expressions.js';
import { StepError, type StepRunner } from '../step-runner.js';

const MAX_CAPTURE = 64 * 1024;
const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|PRIVATE_KEY|CREDENTIAL)/i;

/** The environment a command gets: weft's own minus anything that looks like a secret, plus the step's `env`. */
export function commandEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!SECRET_NAME.test(k) && !k.startsWith('WEFT_')) env[k] = v;
  return { ...env, ...extra };
}

/** Runs argv; resolves with exit code and bounded output tails. */
export function runArgv(argv: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; signal: AbortSignal; stdin?: string; log?: (s: string) => void; onSpawn?: (pid: number) => void }): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
    if (child.pid) opts.onSpawn?.(child.pid);
    let stdout = '';
    let stderr = '';
    const keep = (acc: string, chunk: string) => (acc + chunk).slice(-MAX_CAPTURE);
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout = keep(stdout, c);
      opts.log?.(c);
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr = keep(stderr, c);
      opts.log?.(c);
    });
    const kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
    };
    opts.signal.addEventListener('abort', kill, { once: true });
    child.on('error', (err: NodeJS.ErrnoException) => {
      opts.signal.removeEventListener('abort', kill);
      reject(new StepError('validation', err.code === 'ENOENT' ? `command not found: ${argv[0]}` : err.message));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.stdin ?? '');
    child.on('close', (code, sig) => {
      opts.signal.removeEventListener('abort', kill);
      resolve({ exitCode: code ?? (sig ? 128 : 1), stdout, stderr });
    });
  });
}

/** The `run` step runner. */
export const runStep: StepRunner = async (ctx) => {
  const spec = ctx.step.run!;
  const argvRaw: Json = typeof spec === 'string' || Array.isArray(spec) ? spec : spec.argv;
  const expanded = interpolate(argvRaw, ctx.expr);
  if (!Array.isArray(expanded) || expanded.length === 0) throw new StepError('validation', `run: ${JSON.stringify(argvRaw)} did not give a list of arguments`);
  const argv = expanded.flatMap((a) => (Array.isArray(a) ? a.map(String) : [typeof a === 'string' ? a : JSON.stringify(a)]));
  const base = await ctx.worktree();
  const cwdRaw = typeof spec === 'string' || Array.isArray(spec) ? undefined : spec.cwd;
  const cwd = cwdRaw ? (isAbsolute(cwdRaw) ? cwdRaw : join(base, interpolateText(cwdRaw, ctx.expr))) : base;
  const extra = typeof spec === 'string' || Array.isArray(spec) ? {} : Object.fromEntries(Object.entries(spec.env ?? {}).map(([k, v]) => [k, interpolateText(v, ctx.expr)]));
  const env = commandEnv({ ...extra, WEFT_WORKFLOW_RUN: ctx.runId, WEFT_STEP: ctx.key });
  // A command left running by a weft that was killed (SIGKILL) dies before its step runs again.
  if (typeof ctx.state.pid === 'number') killGroup(ctx.state.pid);
  const r = await runArgv(argv, { cwd, env, signal: ctx.signal, log: ctx.log, onSpawn: (pid) => void ctx.setState({ pid }) });
  let json: Json = null;
  try {
    if (r.stdout.trim()) json = JSON.parse(r.stdout) as Json;
  } catch {
    json = null;
  }
  const output: Json = { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, json };
  if (r.exitCode !== 0) throw new StepError('validation', `${argv.join(' ')} exited with ${r.exitCode}${r.stderr.trim() ? `: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`, output);
  return { kind: 'done', output };
};

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
