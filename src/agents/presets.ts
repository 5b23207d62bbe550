/** Built-in command agents with the right flags for non-interactive use, their output readers, and `weft agents`. */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import type { WeftConfig } from '../config/config-schema.js';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { PRESET_LOGINS } from './agent-credentials.js';
import { aiderOutput } from './aider-output.js';
import { claudeOutput } from './claude-output.js';
import { codexOutput } from './codex-output.js';
import type { OutputParser } from './command-agent.js';
import { exampleAgentArgv } from './example-agent.js';
import { geminiOutput } from './gemini-output.js';

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

/** The text gemini gets with `-p`; it is appended to the prompt that arrives on stdin. */
const GEMINI_PROMPT_FLAG = 'Carry out the task described above.';

/** The built-in presets. `example` is the bundled example agent (no AI). */
export function agentPresets(): Record<PresetName, AgentPreset> {
  return {
    // Claude Code headless: prompt on stdin, one JSON event per line. acceptEdits lets it edit files in the
    // worktree without asking (and works as root); bypassPermissions (also shell commands) is a config choice.
    claude: {
      argv: ['claude', '-p', '--output-format', 'stream-json', '--verbose', '--permission-mode', 'acceptEdits'],
      parseOutput: claudeOutput,
      description: 'Claude Code (claude -p, stream-json, acceptEdits)',
    },
    // `codex exec --json -`: prompt on stdin, JSONL events on stdout; the workspace-write sandbox lets it edit
    // the worktree (and nothing else) and exec never asks for approval.
    codex: {
      argv: ['codex', 'exec', '--json', '--sandbox', 'workspace-write', '--skip-git-repo-check', '-'],
      parseOutput: codexOutput,
      description: 'OpenAI Codex CLI (codex exec --json, workspace-write sandbox)',
    },
    // weft commits what aider leaves; it must not commit, touch .gitignore or keep history in the worktree.
    aider: {
      argv: [
        'aider', '--yes-always', '--no-auto-commits', '--no-dirty-commits', '--no-gitignore', '--no-check-update', '--no-analytics',
        '--no-show-release-notes', '--no-pretty', '--no-stream', '--no-fancy-input', '--no-detect-urls',
        '--input-history-file', '{scratch_dir}/aider.input.history', '--chat-history-file', '{scratch_dir}/aider.chat.history.md',
        '--message-file', '{prompt_file}',
      ],
      parseOutput: aiderOutput,
      description: 'Aider (--message-file, --yes-always, --no-gitignore)',
    },
    // Gemini CLI headless: stdin plus -p, JSON document out. Each worktree is a new folder, so it is trusted for
    // the session (--skip-trust); auto_edit approves its edit tools.
    gemini: {
      argv: ['gemini', '--skip-trust', '--approval-mode', 'auto_edit', '--output-format', 'json', '-p', GEMINI_PROMPT_FLAG],
      parseOutput: geminiOutput,
      description: 'Gemini CLI (gemini -p --approval-mode auto_edit --skip-trust, JSON output)',
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

/** Settings that shape a preset's command line. */
export interface PresetOptions {
  /** Claude Code's `--max-budget-usd` for each attempt (config `budget.maxAttemptCostUsd`). */
  maxAttemptCostUsd?: number;
}

/**
 * The argv weft runs for a preset in this environment: the preset's own, plus what the environment asks
 * for (codex reads no base URL from the environment: an `OPENAI_BASE_URL` becomes a model provider).
 */
export function presetArgv(name: PresetName, env: NodeJS.ProcessEnv = process.env, opts: PresetOptions = {}, argv = agentPresets()[name].argv): string[] {
  if (name === 'claude' && opts.maxAttemptCostUsd !== undefined && !argv.includes('--max-budget-usd')) {
    return [...argv, '--max-budget-usd', String(opts.maxAttemptCostUsd)];
  }
  if (name === 'codex') {
    const base = env.OPENAI_BASE_URL?.trim();
    if (!base || argv.some((a) => a.startsWith('model_provider='))) return argv;
    const key = env.OPENAI_API_KEY ? 'OPENAI_API_KEY' : 'CODEX_API_KEY';
    const provider = `model_providers.weft-openai={name="OpenAI-compatible (OPENAI_BASE_URL)",base_url=${JSON.stringify(base)},env_key="${key}",wire_api="responses"}`;
    // Right after `exec`, so that `-c model_providers.weft-openai.<key>=...` overrides in the configured command apply on top.
    const at = argv[1] === 'exec' ? 2 : argv.at(-1) === '-' ? argv.length - 1 : argv.length;
    return [...argv.slice(0, at), '-c', provider, '-c', 'model_provider="weft-openai"', ...argv.slice(at)];
  }
  return argv;
}

/**
 * Environment a preset needs on top of the user's. Gemini CLI refuses `GOOGLE_GEMINI_BASE_URL` with an
 * API key unless the auth type is chosen in settings, so weft points it at a settings file that chooses it.
 */
export function presetEnv(name: PresetName, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (name !== 'gemini' || !env.GOOGLE_GEMINI_BASE_URL || !env.GEMINI_API_KEY || env.GEMINI_CLI_SYSTEM_SETTINGS_PATH) return {};
  const cache = env.XDG_CACHE_HOME?.trim() || join(env.HOME?.trim() || homedir(), '.cache');
  const file = join(cache, 'weft', 'gemini-api-key-settings.json');
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify({ security: { auth: { selectedType: 'gemini-api-key' } } }, null, 2)}\n`);
  }
  return { GEMINI_CLI_SYSTEM_SETTINGS_PATH: file };
}

/** Guesses the category of an agent's own error text (kept here for existing callers). */
export { classifyAgentMessage } from './agent-errors.js';
/** Claude Code's stream-json reader. */
export { claudeOutput } from './claude-output.js';
/** Gemini CLI's JSON reader. */
export { geminiOutput } from './gemini-output.js';

/** One row of `weft agents`. */
export interface AgentListing {
  name: string;
  /** The exact argv weft runs, joined for display (`argv` has it as a list). */
  command: string;
  argv: string[];
  description: string;
  installed: boolean;
  /** Where the program was found on PATH. */
  path?: string;
  /** What `<program> --version` printed (first line). */
  version?: string;
  /**
   * Whether the credentials the CLI needs are there: `env` (a key variable is set, named in
   * `credentialSource`), `file` (a login file under HOME), `missing`, or `none-needed`.
   */
  credentials: 'env' | 'file' | 'missing' | 'none-needed';
  credentialSource?: string;
  /** `preset` for built-ins, `config` for `agents.<name>` in weft.config.yaml. */
  source: 'preset' | 'config';
}

/** Options for `listAgents`. */
export interface ListAgentsOptions {
  /** Run `<program> --version` for each installed program (default true). */
  versions?: boolean;
  presetOptions?: PresetOptions;
}

/** The presets, configured agents and codegen: program on PATH and its version, credentials present, the exact argv. */
export async function listAgents(config?: WeftConfig, env: NodeJS.ProcessEnv = process.env, opts: ListAgentsOptions = {}): Promise<AgentListing[]> {
  const rows: AgentListing[] = [];
  const presets = agentPresets();
  const configured = config?.agents ?? {};
  const presetOptions = opts.presetOptions ?? { maxAttemptCostUsd: config?.budget?.maxAttemptCostUsd };
  for (const name of PRESET_NAMES) {
    if (configured[name]) continue;
    const p = presets[name];
    rows.push(await listing(name, presetArgv(name, env, presetOptions), p.description, 'preset', env, opts, p));
  }
  for (const [name, agent] of Object.entries(configured)) {
    const preset = isPresetName(name) ? presets[name] : undefined;
    const command = agent.command ?? preset?.argv ?? [];
    const argv = isPresetName(name) ? presetArgv(name, env, { ...presetOptions }, command) : command;
    rows.push(await listing(name, argv, 'from weft.config.yaml', 'config', env, opts, preset));
  }
  // The hosted backend has no program; it is usable once its settings are there (the key itself is never shown).
  const codegenReady = Boolean((env.CODEGEN_API_KEY || env.CODEGEN_TOKEN) && env.CODEGEN_ORG_ID);
  rows.push({
    name: 'codegen',
    command: `${env.CODEGEN_API_BASE_URL || env.CODEGEN_API_URL || 'https://api.codegen.com'} (hosted)`,
    argv: [],
    description: codegenReady ? 'Codegen hosted agents (CODEGEN_API_KEY and CODEGEN_ORG_ID set)' : 'Codegen hosted agents: set CODEGEN_API_KEY and CODEGEN_ORG_ID',
    installed: codegenReady,
    credentials: codegenReady ? 'env' : 'missing',
    credentialSource: codegenReady ? (env.CODEGEN_API_KEY ? 'CODEGEN_API_KEY' : 'CODEGEN_TOKEN') : 'CODEGEN_API_KEY and CODEGEN_ORG_ID',
    source: 'preset',
  });
  return rows;
}

async function listing(
  name: string,
  argv: string[],
  description: string,
  source: AgentListing['source'],
  env: NodeJS.ProcessEnv,
  opts: ListAgentsOptions,
  preset: AgentPreset | undefined,
): Promise<AgentListing> {
  const path = await findExecutable(argv[0] ?? '', env);
  const version = path && opts.versions !== false && name !== 'example' && preset ? await programVersion(path, env) : undefined;
  const creds = credentialsOf(name, env);
  return {
    name,
    command: argv.map(showArg).join(' '),
    argv,
    description,
    installed: path !== undefined,
    ...(path ? { path } : {}),
    ...(version ? { version } : {}),
    ...creds,
    source,
  };
}

/** Whether a preset's credentials are set (never their values), from the one table (agent-credentials.ts). */
function credentialsOf(name: string, env: NodeJS.ProcessEnv): Pick<AgentListing, 'credentials' | 'credentialSource'> {
  if (!isPresetName(name) || name === 'example') return { credentials: 'none-needed' };
  const source = PRESET_LOGINS[name];
  const key = source.env.find((k) => env[k]?.trim());
  if (key) return { credentials: 'env', credentialSource: key };
  const home = env.HOME?.trim() || homedir();
  const file = source.files(env).find((f) => existsSync(f));
  if (file) return { credentials: 'file', credentialSource: file.startsWith(home) ? `~${file.slice(home.length)}` : file };
  return { credentials: 'missing', credentialSource: source.hint };
}

/** First line of `<program> --version`, or undefined when it does not answer within a few seconds. */
async function programVersion(path: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    const child = execFile(path, ['--version'], { env, timeout: 15_000, encoding: 'utf8' }, (err, stdout) => {
      const line = String(stdout ?? '').split('\n').find((l) => l.trim() !== '');
      resolve(err && !line ? undefined : line?.trim());
    });
    // Nothing to read: a program that waits for stdin must not wait here.
    child.stdin?.end();
  });
}

/** An argument as a shell would need it quoted (display only: weft never runs a shell). */
function showArg(arg: string): string {
  return /^[\w@%+=:,./{}-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
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
