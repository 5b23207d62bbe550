/** Finds and reads weft.config.yaml (or .yml / .json), turning every mistake into an InputError that names the file and key. */

import { access, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { InputError, SourceError } from '../core/errors.js';
import { checkConfigRules, defaultConfig, weftConfigSchema, type ConfigIssue, type WeftConfig } from './config-schema.js';

/** File names looked for in the current directory, in this order. */
export const CONFIG_FILE_NAMES = ['weft.config.yaml', 'weft.config.yml', 'weft.config.json'] as const;

/** Where to look for the config file. */
export interface LoadConfigOptions {
  /** Directory searched for a config file; default `process.cwd()`. */
  cwd?: string;
  /** Explicit config file (relative to cwd); it must exist. */
  path?: string;
}

/** A loaded config and the absolute path it came from (null when defaults were used). */
export interface LoadedConfig {
  config: WeftConfig;
  path: string | null;
}

/** Loads the config from `opts.path` or the first weft.config.* in `opts.cwd`; defaults when there is none. */
export async function loadConfig(opts: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const cwd = resolve(opts.cwd ?? process.cwd());
  const file = opts.path === undefined ? await findConfigFile(cwd) : resolve(cwd, opts.path);
  if (file === null) return { config: defaultConfig(), path: null };
  const shown = displayPath(cwd, file);
  let textContent: string;
  try {
    textContent = await readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new InputError(`${shown}: ${reason}`, { file });
  }
  const config = parseConfigText(textContent, shown);
  return { config: resolvePaths(config, dirname(file)), path: file };
}

/** The first config file present in `dir`, or null. */
export async function findConfigFile(dir: string): Promise<string | null> {
  const found: string[] = [];
  for (const name of CONFIG_FILE_NAMES) {
    const candidate = resolve(dir, name);
    if (await exists(candidate)) found.push(candidate);
  }
  // Two config files would silently shadow one another; make the user pick.
  if (found.length > 1) {
    throw new InputError(`${found.map((f) => relative(dir, f)).join(' and ')} both exist; keep one`, { files: found });
  }
  return found[0] ?? null;
}

/** Parses config file text (YAML; JSON is valid YAML) and validates it; `file` is only used in messages. */
export function parseConfigText(content: string, file: string): WeftConfig {
  const lineCounter = new LineCounter();
  // JSON goes through the YAML parser too, so both kinds of syntax error carry a line number.
  const doc = parseDocument(content, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const line = lineCounter.linePos(syntax.pos[0]).line;
    throw new SourceError(file, line, `invalid YAML: ${firstLine(syntax.message)}`, { code: syntax.code });
  }
  const raw: unknown = doc.toJS() ?? {};
  const lineOf = (path: (string | number)[]): number | undefined => {
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    return node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
  };
  return validateConfig(raw, file, lineOf);
}

/** Validates an already-parsed config object; `file` names the source in messages. */
export function validateConfig(
  raw: unknown,
  file: string,
  lineOf: (path: (string | number)[]) => number | undefined = () => undefined,
): WeftConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InputError(`${file}: expected a mapping of config keys at the top level`, { file });
  }
  const parsed = weftConfigSchema.safeParse(raw, { reportInput: true });
  const issues: ConfigIssue[] = parsed.success
    ? checkConfigRules(parsed.data)
    : parsed.error.issues.flatMap((iss) =>
        // One line per unknown key, so each typo is named where it sits.
        iss.code === 'unrecognized_keys'
          ? iss.keys.map((key) => ({ path: [...iss.path, key] as (string | number)[], message: iss.message }))
          : [{ path: iss.path as (string | number)[], message: iss.message }],
      );
  if (parsed.success && issues.length === 0) return parsed.data;
  const located = issues.map((issue) => ({ key: formatKeyPath(issue.path), line: lineOf(issue.path), message: issue.message }));
  // File order reads better than schema order when several keys are wrong.
  located.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
  const lines = located.map(({ key, message }) => (key === '' ? `${file}: ${message}` : `${file}: ${key}: ${message}`));
  throw new InputError(lines.join('\n'), { file, key: located[0]?.key, line: located[0]?.line, issues: located });
}

/** `['pr', 'labels', 0]` -> `pr.labels[0]` (empty for the top level). */
export function formatKeyPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out;
}

// Relative paths in the file mean "next to the config", whatever directory weft runs from.
function resolvePaths(config: WeftConfig, baseDir: string): WeftConfig {
  const out = { ...config, prompt: { ...config.prompt } };
  if (out.db !== undefined && !isUrlOrSpecial(out.db)) out.db = resolve(baseDir, out.db);
  if (out.prompt.templates !== undefined) out.prompt.templates = resolve(baseDir, out.prompt.templates);
  return out;
}

function isUrlOrSpecial(db: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(db) || db === ':memory:' || isAbsolute(db);
}

function displayPath(cwd: string, file: string): string {
  const rel = relative(cwd, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
