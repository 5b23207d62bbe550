/** The quality gate: runs the user's verify command (e.g. `npm test`) in an attempt's worktree. */
import { AgentError } from '../agents/agent-backend.js';
import { verifyEnv } from '../agents/agent-env.js';
import { runProcess } from '../agents/run-process.js';
import { splitCommandLine } from '../config/config-schema.js';
import { VerifySignature } from '../core/verify-baseline.js';

/** How much of the verify output is fed back to the retry's prompt. */
export const VERIFY_TAIL_CHARS = 4000;

// Operators that only mean something to a shell. The command comes from the user's own flag or
// config (never from task text), so handing such a line to `sh -c` is what the user asked for.
const SHELL_SYNTAX = /&&|\|\||[|;<>`]|\$\(|\$\{|\$[A-Za-z_]/;

/** The argv a verify command line runs as: split like a shell would, or `sh -c LINE` when it uses shell operators. */
export function verifyArgv(command: string): string[] {
  if (SHELL_SYNTAX.test(command)) return ['sh', '-c', command];
  const argv = splitCommandLine(command);
  if (argv === null) throw new AgentError('validation', `verify command has an unbalanced quote: ${command}`);
  if (argv.length === 0) throw new AgentError('validation', 'verify command is empty');
  return argv;
}

/** One run of a verify command. */
export interface VerifyResult {
  command: string;
  passed: boolean;
  exitCode: number | null;
  /** Bounded tail of stdout and stderr. */
  output: string;
  /** Normalized failure lines, for comparing with the base branch (core/verify-baseline.ts). */
  failures: string[];
  /** `verify failed: CMD exited 1` when it failed. */
  message: string | null;
}

/** How much verify output an attempt keeps (`verifyOutput`). */
export const VERIFY_OUTPUT_CHARS = 16 * 1024;

/** Runs the verify command in `cwd` and reports how it went; throws AgentError('validation') only when it cannot start. */
export async function runVerify(cwd: string, command: string, signal: AbortSignal, log?: (chunk: string) => void): Promise<VerifyResult> {
  const argv = verifyArgv(command);
  const signature = new VerifySignature(cwd);
  let outcome;
  try {
    // CI=1 keeps test runners out of watch mode and interactive prompts.
    outcome = await runProcess({
      argv,
      cwd,
      env: { ...verifyEnv(process.env), CI: process.env.CI ?? '1' },
      signal,
      onOutput: (chunk) => {
        signature.push(chunk);
        log?.(chunk);
      },
      tailChars: VERIFY_OUTPUT_CHARS,
    });
  } catch (err) {
    if (err instanceof AgentError && err.category === 'validation') throw new AgentError('validation', `verify ${err.message}`);
    throw err;
  }
  const passed = outcome.code === 0;
  const how = outcome.code === null ? `was killed by ${outcome.signal ?? 'a signal'}` : `exited ${outcome.code}`;
  return { command, passed, exitCode: outcome.code, output: outcome.tail, failures: signature.lines(), message: passed ? null : `verify failed: ${command} ${how}` };
}
