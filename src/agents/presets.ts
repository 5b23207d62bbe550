/** Built-in command agents with the right flags for non-interactive use, their output readers, and `weft agents`. */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import type { WeftConfig } from '../config/config-schema.js';
import { AgentError } from './agent-backend.js';
import type { ErrorCategory, Json } from '../store/records.js';
import { exitFailure, plainOutput, summaryFromStdout, type OutputParser } from './command-agent.js';
import { exampleAgentArgv } from './example-agent.js';

export interface AgentPreset {
  /** Program and arguments; the prompt arrives on stdin (and in `{prompt_file}`). */
  argv: string[];
  parseOutput?: () => OutputParser;
  /** One line for `weft agents`. */
  description: string;
}

/** Names of the built-in presets, in the order `weft agents` lists them. */
export const PRESET_NAMES = ['claude', 'codex', 'aider', 'gemini', 'example'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** The built-in presets. `example` is the bundled example agent (no AI). */
export function agentPresets(): Record<PresetName, AgentPreset> {
  return {
    // Claude Code headless mode: prompt on stdin, one JSON event per line, edits accepted without asking.
    claude: {
      argv: ['claude', '-p', '--output-format', 'stream-json', '--verbose', '--permission-mode', 'acceptEdits'],
      parseOutput: claudeOutput,
      description: 'Claude Code (claude -p, stream-json)',
    },
    // `codex exec -` reads the prompt from stdin and prints only the final message on stdout.
    codex: {
      argv: ['codex', 'exec', '--sandbox', 'workspace-write', '-'],
      description: 'OpenAI Codex CLI (codex exec)',
    },
    // weft commits what aider leaves; its history files go to the scratch dir, not the worktree.
    aider: {
      argv: [
        'aider', '--yes-always', '--no-auto-commits', '--no-check-update', '--no-pretty', '--no-stream',
        '--input-history-file', '{scratch_dir}/aider.input.history', '--chat-history-file', '{scratch_dir}/aider.chat.history.md',
        '--message-file', '{prompt_file}',
      ],
      description: 'Aider (--message-file, --yes-always)',
    },
    // Gemini CLI appends the -p text to what arrives on stdin.
    gemini: {
      argv: ['gemini', '--yolo', '--output-format', 'json', '-p', 'Carry out the task described above.'],
      parseOutput: geminiOutput,
      description: 'Gemini CLI (gemini -p --yolo, JSON output)',
    },
    example: {
      argv: exampleAgentArgv(),
      description: 'bundled EXAMPLE agent: writes deterministic files, no AI (for trying weft out)',
    },
  };
}

/** Whether `name` is a built-in preset. */
export function isPresetName(name: string): name is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(name);
}

/** Guesses the category of an agent's own error text: login problems and spent credit fail fast, limits wait. */
export function classifyAgentMessage(text: string): ErrorCategory {
  if (/invalid api key|\/login|not (logged|signed) in|unauthori[sz]ed|authentication/i.test(text)) return 'auth';
  if (/credit balance|insufficient (credit|quota|funds)|billing|quota exceeded/i.test(text)) return 'quota';
  if (/usage limit|rate.?limit|too many requests|\b429\b|overloaded/i.test(text)) return 'rate_limit';
  return 'agent';
}

const errorText = (text: string) => (text.length > 500 ? `${text.slice(0, 500)}…` : text);

/** Reads Claude Code's stream-json: the final `result` event decides; `is_error` with exit 0 is still a failure. */
export function claudeOutput(): OutputParser {
  let result: Record<string, unknown> | undefined;
  return {
    line(line) {
      const t = line.trim();
      if (!t.startsWith('{')) return;
      try {
        const event = JSON.parse(t) as unknown;
        if (event && typeof event === 'object' && (event as { type?: unknown }).type === 'result') result = event as Record<string, unknown>;
      } catch {
        // Not every line is JSON (warnings from wrappers); only events matter.
      }
    },
    finish(outcome) {
      // Without a result event (an older CLI, or a custom command named claude) the exit code decides.
      if (!result) return plainOutput().finish(outcome);
      const data: { [key: string]: Json } = {};
      if (typeof result.total_cost_usd === 'number') data.costUsd = result.total_cost_usd;
      if (typeof result.num_turns === 'number') data.turns = result.num_turns;
      if (typeof result.duration_ms === 'number') data.durationMs = result.duration_ms;
      if (typeof result.session_id === 'string') data.sessionId = result.session_id;
      const text = typeof result.result === 'string' ? result.result : '';
      const subtype = typeof result.subtype === 'string' ? result.subtype : '';
      if (result.is_error === true || subtype.startsWith('error')) {
        const why = text || subtype || 'no details';
        throw new AgentError(classifyAgentMessage(why), `claude reported an error: ${errorText(why)}`, { output: outcome.tail, data });
      }
      const failure = exitFailure(outcome);
      if (failure) throw new AgentError(failure.category, failure.message, { output: outcome.tail, data });
      return { summary: text || undefined, output: outcome.tail, data };
    },
  };
}

/** Reads Gemini CLI's `--output-format json` (`{ response, stats, error }`); falls back to plain output. */
export function geminiOutput(): OutputParser {
  const lines: string[] = [];
  let size = 0;
  return {
    line(line) {
      // The document is small; the bound only guards against a runaway process.
      if (size < 4 * 1024 * 1024) lines.push(line);
      size += line.length;
    },
    finish(outcome) {
      const text = lines.join('\n');
      const start = text.indexOf('{');
      let doc: { response?: unknown; error?: { message?: unknown } | null } | undefined;
      try {
        doc = start >= 0 ? (JSON.parse(text.slice(start)) as typeof doc) : undefined;
      } catch {
        doc = undefined;
      }
      if (!doc || typeof doc !== 'object') return plainOutput().finish(outcome);
      const errMessage = doc.error && typeof doc.error.message === 'string' ? doc.error.message : '';
      if (errMessage) throw new AgentError(classifyAgentMessage(errMessage), `gemini reported an error: ${errorText(errMessage)}`, { output: outcome.tail });
      const failure = exitFailure(outcome);
      if (failure) throw failure;
      const response = typeof doc.response === 'string' ? doc.response : '';
      return { summary: summaryFromStdout(response), output: outcome.tail };
    },
  };
}

/** One row of `weft agents`. */
export interface AgentListing {
  name: string;
  command: string;
  description: string;
  installed: boolean;
  /** Where the program was found on PATH. */
  path?: string;
  /** `preset` for built-ins, `config` for `agents.<name>` in weft.config.yaml. */
  source: 'preset' | 'config';
}

/** The presets, configured agents and codegen, each with whether it is usable: program on PATH, or settings present (nothing is spawned). */
export async function listAgents(config?: WeftConfig, env: NodeJS.ProcessEnv = process.env): Promise<AgentListing[]> {
  const rows: AgentListing[] = [];
  const presets = agentPresets();
  const configured = config?.agents ?? {};
  for (const name of PRESET_NAMES) {
    if (configured[name]) continue;
    const p = presets[name];
    rows.push(await listing(name, p.argv, p.description, 'preset', env));
  }
  for (const [name, agent] of Object.entries(configured)) rows.push(await listing(name, agent.command ?? (isPresetName(name) ? presets[name].argv : []), 'from weft.config.yaml', 'config', env));
  // The hosted backend has no program; it is usable once its settings are there (the key itself is never shown).
  const codegenReady = Boolean((env.CODEGEN_API_KEY || env.CODEGEN_TOKEN) && env.CODEGEN_ORG_ID);
  rows.push({
    name: 'codegen',
    command: `${env.CODEGEN_API_BASE_URL || 'https://api.codegen.com'} (hosted)`,
    description: codegenReady ? 'Codegen hosted agents (CODEGEN_API_KEY and CODEGEN_ORG_ID set)' : 'Codegen hosted agents: set CODEGEN_API_KEY and CODEGEN_ORG_ID',
    installed: codegenReady,
    source: 'preset',
  });
  return rows;
}

async function listing(name: string, argv: string[], description: string, source: AgentListing['source'], env: NodeJS.ProcessEnv): Promise<AgentListing> {
  const path = await findExecutable(argv[0] ?? '', env);
  return { name, command: argv.join(' '), description, installed: path !== undefined, ...(path ? { path } : {}), source };
}

/** Looks a program up on PATH the way a shell would, without running it. */
export async function findExecutable(program: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (!program) return undefined;
  const executable = (p: string) => access(p, constants.X_OK).then(() => true, () => false);
  if (isAbsolute(program) || program.includes('/')) return (await executable(program)) ? program : undefined;
  const exts = process.platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';')] : [''];
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = join(dir, program + ext);
      if (await executable(candidate)) return candidate;
    }
  }
  return undefined;
}
