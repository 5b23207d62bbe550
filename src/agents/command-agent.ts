/**
 * The command backend: any CLI coding agent, spawned as argv in the attempt's worktree, with the prompt
 * on stdin and in a file outside the worktree (so it is never committed).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentError, type AgentBackend, type AgentRequest, type AgentResult } from './agent-backend.js';
import { agentEnv } from './agent-env.js';
import type { PresetName } from './presets.js';
import { runProcess, type ProcessOutcome } from './run-process.js';
import { bwrapArgv } from './sandbox.js';

/** Reads an agent's structured output; one instance per attempt. */
export interface OutputParser {
  /** Called with each complete stdout line as it arrives. */
  line(line: string): void;
  /** Called once the process exited: returns the result or throws AgentError (exit code included). */
  finish(outcome: ProcessOutcome): AgentResult;
}

export interface CommandAgentOptions {
  /** Backend name (logs, routing, circuit breaker). */
  name: string;
  /** Program and arguments; `{prompt_file}` and `{scratch_dir}` inside an argument are replaced per attempt. */
  argv: string[];
  /** Fixed environment values for the agent (config `agents.NAME.env`), on top of the minimal environment (agent-env.ts). */
  env?: Record<string, string>;
  /** Whose provider credentials the agent gets (the PRESET_CREDENTIALS row); none when undefined. */
  credentials?: PresetName | undefined;
  /** Variables passed from weft's environment by name. */
  passEnv?: string[];
  /** Variables never passed unless in `passEnv` (config `server.tokens` variables). */
  blockedEnv?: string[];
  /** Where the agent's environment comes from; default process.env. */
  sourceEnv?: NodeJS.ProcessEnv;
  /** Run under bubblewrap (network on unless `network: false`); null or absent: no sandbox. */
  sandbox?: { network: boolean } | null;
  /** Structured output reader; default: exit code decides, stdout's last lines are the summary. */
  parseOutput?: () => OutputParser;
  /** Time between SIGTERM and SIGKILL on cancel or timeout. */
  killGraceMs?: number;
  tailChars?: number;
}

const SUMMARY_LINES = 20;
const SUMMARY_CHARS = 2000;

/** The last lines of what the agent printed on stdout: the usual place for a CLI agent's final message. */
export function summaryFromStdout(stdout: string): string | undefined {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '').slice(-SUMMARY_LINES);
  const text = lines.join('\n').trim();
  if (!text) return undefined;
  return text.length > SUMMARY_CHARS ? text.slice(-SUMMARY_CHARS) : text;
}

/** The AgentError for an unsuccessful exit, or null when the process exited 0. */
export function exitFailure(outcome: ProcessOutcome): AgentError | null {
  if (outcome.code === 0) return null;
  const message = outcome.code === null ? `agent was killed by ${outcome.signal ?? 'a signal'}` : `agent exited with code ${outcome.code}`;
  return new AgentError('agent', message, { output: outcome.tail });
}

/** The default reader: exit 0 means finished; the summary is stdout's last lines. */
export function plainOutput(): OutputParser {
  return {
    line: () => undefined,
    finish(outcome) {
      const failure = exitFailure(outcome);
      if (failure) throw failure;
      return { summary: summaryFromStdout(outcome.stdoutTail), output: outcome.tail };
    },
  };
}

/** Creates a backend that runs `argv` for every attempt. */
export function createCommandAgent(options: CommandAgentOptions): AgentBackend {
  if (options.argv.length === 0) throw new AgentError('validation', `agent ${options.name} has an empty command`);
  return {
    name: options.name,
    needsWorktree: true,
    run: (req) => runCommand(options, req),
  };
}

async function runCommand(options: CommandAgentOptions, req: AgentRequest): Promise<AgentResult> {
  if (!req.worktree) throw new AgentError('validation', `agent ${options.name} works in a git worktree; run it against a repository (--repo)`);
  const scratch = await scratchDir(req);
  try {
    const promptFile = join(scratch, 'prompt.md');
    // 0600: the prompt can carry project context that other users of the machine should not read.
    await writeFile(promptFile, req.prompt, { mode: 0o600 });
    const argv = options.argv.map((a) => a.replaceAll('{prompt_file}', promptFile).replaceAll('{scratch_dir}', scratch));
    const task = {
      WEFT_RUN_ID: req.runId,
      WEFT_TASK_ID: req.task.id,
      WEFT_TASK_TITLE: req.task.title,
      WEFT_TASK_DEPENDS_ON: req.task.dependsOn.join(','),
      WEFT_ATTEMPT: String(req.attempt),
      WEFT_PROMPT_FILE: promptFile,
      WEFT_BRANCH: req.branch ?? '',
      WEFT_WORKTREE: req.worktree,
    };
    const env = agentEnv({
      source: options.sourceEnv ?? process.env,
      preset: options.credentials,
      passEnv: options.passEnv ?? [],
      env: options.env ?? {},
      blocked: options.blockedEnv ?? [],
      task,
    });
    const sandboxed = options.sandbox
      ? await bwrapArgv({ worktree: req.worktree, scratch, branch: req.branch ?? '', network: options.sandbox.network, preset: options.credentials, home: env.HOME }, argv)
      : argv;
    const parser = (options.parseOutput ?? plainOutput)();
    let outcome: ProcessOutcome;
    try {
      outcome = await runProcess({
        argv: sandboxed,
        cwd: req.worktree,
        env,
        input: req.prompt,
        signal: req.signal,
        onOutput: (chunk) => req.log(chunk),
        onStdoutLine: (line) => parser.line(line),
        ...(req.onProcess ? { onSpawn: req.onProcess } : {}),
        killGraceMs: options.killGraceMs,
        tailChars: options.tailChars,
      });
    } catch (err) {
      if (err instanceof AgentError && err.category === 'validation') throw new AgentError('validation', `agent ${err.message}`);
      throw err;
    }
    return parser.finish(outcome);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** A private per-attempt directory under the system temp dir, unique even when an attempt is re-claimed. */
async function scratchDir(req: AgentRequest): Promise<string> {
  const parent = join(tmpdir(), 'weft-prompts');
  await mkdir(parent, { recursive: true, mode: 0o700 });
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 60);
  return mkdtemp(join(parent, `${safe(req.runId)}-${safe(req.task.id)}-a${req.attempt}-`));
}
