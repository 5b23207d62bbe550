/**
 * The environment an agent process gets: what a CLI needs to run, its own provider's credentials
 * (one table, per preset), the WEFT_* task variables, and what the config passes by name. Never
 * weft's own secrets (API tokens, GITHUB_TOKEN, CODEGEN_API_KEY, the webhook secret) unless passed by name.
 */
import { basename } from 'node:path';
import { WEFT_SECRET_VARS } from '../core/redact.js';
import type { PresetName } from './presets.js';

/** Variables every agent gets when set: how to find programs, home, locale, terminal, temp dirs, proxies, CA certificates. */
export const BASE_ENV_VARS = [
  'PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TZ', 'TERM', 'COLORTERM', 'NO_COLOR', 'FORCE_COLOR',
  'TMPDIR', 'TMP', 'TEMP', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'XDG_DATA_HOME', 'XDG_STATE_HOME', 'XDG_RUNTIME_DIR',
  'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy',
  'SSL_CERT_FILE', 'SSL_CERT_DIR', 'NODE_EXTRA_CA_CERTS', 'CI',
  'GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL', 'GIT_CONFIG_GLOBAL', 'GIT_CONFIG_NOSYSTEM',
] as const;

/** Prefixes of variables every agent gets (locale categories). */
export const BASE_ENV_PREFIXES = ['LC_'] as const;

/** Where a preset's credentials and settings come from: variable names and name prefixes. */
export interface CredentialSpec {
  prefixes: readonly string[];
  names: readonly string[];
}

/**
 * Provider credentials and settings per preset (the one table; README "Agent environment" shows it).
 * An agent configured under another name gets the table row of the program it runs (`claude`, `codex`, ...).
 */
export const PRESET_CREDENTIALS: Record<PresetName, CredentialSpec> = {
  claude: {
    prefixes: ['ANTHROPIC_', 'CLAUDE_CODE_', 'CLAUDE_'],
    names: ['IS_SANDBOX', 'DISABLE_AUTOUPDATER', 'DISABLE_TELEMETRY', 'DISABLE_ERROR_REPORTING', 'MAX_THINKING_TOKENS', 'BASH_DEFAULT_TIMEOUT_MS', 'MCP_TIMEOUT',
      // Bedrock and Vertex AI
      'AWS_REGION', 'AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_BEARER_TOKEN_BEDROCK', 'CLOUD_ML_REGION', 'GOOGLE_APPLICATION_CREDENTIALS'],
  },
  codex: { prefixes: ['OPENAI_', 'CODEX_', 'AZURE_OPENAI_'], names: [] },
  gemini: { prefixes: ['GEMINI_', 'GOOGLE_'], names: [] },
  aider: {
    prefixes: ['AIDER_', 'OPENAI_', 'ANTHROPIC_', 'GEMINI_', 'GOOGLE_', 'VERTEXAI_', 'OPENROUTER_', 'DEEPSEEK_', 'GROQ_', 'MISTRAL_', 'COHERE_', 'AZURE_', 'OLLAMA_', 'XAI_', 'FIREWORKS_', 'TOGETHERAI_'],
    names: ['AWS_REGION', 'AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'],
  },
  // The bundled example agent's switches (the demo makes one task fail once).
  example: { prefixes: [], names: ['WEFT_EXAMPLE_FAIL', 'WEFT_EXAMPLE_NOOP'] },
};

/** The preset whose credentials an agent gets: its own name when it is a preset, else its program's name when that is one. */
export function credentialPreset(name: string, argv: readonly string[]): PresetName | undefined {
  const known = (n: string): n is PresetName => Object.hasOwn(PRESET_CREDENTIALS, n);
  if (known(name)) return name;
  const program = basename(argv[0] ?? '');
  return known(program) ? program : undefined;
}

export interface AgentEnvOptions {
  /** Where variables come from (weft's own environment). */
  source: Readonly<Record<string, string | undefined>>;
  /** Whose credentials to pass. */
  preset?: PresetName | undefined;
  /** Variables passed by name from `source` (config `agents.NAME.passEnv`); the only way weft's secrets reach an agent. */
  passEnv?: readonly string[];
  /** Fixed values (config `agents.NAME.env`). */
  env?: Readonly<Record<string, string>>;
  /** Variables never passed unless named in `passEnv` (the `server.tokens` variables), besides WEFT_SECRET_VARS. */
  blocked?: Iterable<string>;
  /** The WEFT_* task variables. */
  task?: Readonly<Record<string, string>>;
}

/** The environment for one agent process. */
export function agentEnv(opts: AgentEnvOptions): Record<string, string> {
  const { source } = opts;
  const blocked = new Set<string>([...WEFT_SECRET_VARS, ...(opts.blocked ?? [])]);
  const creds = opts.preset ? PRESET_CREDENTIALS[opts.preset] : { prefixes: [], names: [] };
  const names = new Set<string>([...BASE_ENV_VARS, ...creds.names]);
  const prefixes = [...BASE_ENV_PREFIXES, ...creds.prefixes];
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined || blocked.has(name)) continue;
    if (names.has(name) || (!name.startsWith('WEFT_') && prefixes.some((p) => name.startsWith(p)))) out[name] = value;
  }
  for (const name of opts.passEnv ?? []) {
    const value = source[name];
    if (value !== undefined) out[name] = value;
  }
  return { ...out, ...opts.env, ...opts.task };
}

/**
 * The environment of the verify command (the user's own command, running code the agent wrote): weft's
 * environment without weft's secrets (WEFT_SECRET_VARS, `blocked`, and WEFT_* settings).
 */
export function verifyEnv(source: Readonly<Record<string, string | undefined>>, blocked: Iterable<string> = []): Record<string, string> {
  const drop = new Set<string>([...WEFT_SECRET_VARS, ...blocked]);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value !== undefined && !drop.has(name) && !name.startsWith('WEFT_')) out[name] = value;
  }
  return out;
}
