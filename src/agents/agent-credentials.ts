/** Where each preset CLI agent finds its credentials: environment variables or the file its own login writes. */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { PresetName } from './presets.js';

/** One preset's credentials: any of `env` set, or any of `files` present, is enough. */
export interface CredentialSource {
  env: readonly string[];
  /** Login files, relative to the home directory (or to the tool's own home variable). */
  files: (env: NodeJS.ProcessEnv) => string[];
  /** How to get credentials, for the message when there are none. */
  hint: string;
}

const home = (env: NodeJS.ProcessEnv) => env.HOME || homedir();

/** Whether a preset has a credential at all, per preset (agent-env.ts decides which variables it then gets); `example` needs none. */
export const PRESET_LOGINS: Readonly<Record<Exclude<PresetName, 'example'>, CredentialSource>> = {
  claude: {
    env: ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN', 'CLAUDE_CODE_USE_BEDROCK', 'CLAUDE_CODE_USE_VERTEX'],
    files: (env) => [join(env.CLAUDE_CONFIG_DIR || join(home(env), '.claude'), '.credentials.json')],
    hint: 'set ANTHROPIC_API_KEY or log in once with `claude`',
  },
  codex: {
    env: ['OPENAI_API_KEY', 'CODEX_API_KEY'],
    files: (env) => [join(env.CODEX_HOME || join(home(env), '.codex'), 'auth.json')],
    hint: 'set OPENAI_API_KEY or run `codex login`',
  },
  gemini: {
    env: ['GEMINI_API_KEY', 'GOOGLE_API_KEY', 'GOOGLE_GENAI_USE_VERTEXAI', 'GOOGLE_APPLICATION_CREDENTIALS'],
    files: (env) => [join(home(env), '.gemini', 'oauth_creds.json')],
    hint: 'set GEMINI_API_KEY or log in once with `gemini`',
  },
  aider: {
    env: ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'DEEPSEEK_API_KEY', 'OPENROUTER_API_KEY', 'AIDER_MODEL', 'OLLAMA_API_BASE'],
    files: (env) => [join(home(env), '.aider.conf.yml')],
    hint: 'set the API key of your model (e.g. OPENAI_API_KEY or ANTHROPIC_API_KEY) or write ~/.aider.conf.yml',
  },
};

/** Null when the preset has credentials (or needs none); otherwise what to do about it. */
export function missingCredentials(preset: PresetName, env: NodeJS.ProcessEnv = process.env): string | null {
  if (preset === 'example') return null;
  const source = PRESET_LOGINS[preset];
  if (source.env.some((name) => Boolean(env[name]))) return null;
  if (source.files(env).some((f) => existsSync(f))) return null;
  return source.hint;
}
