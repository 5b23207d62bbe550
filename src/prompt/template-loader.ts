/** Finds, parses and renders the Liquid prompt templates, letting a user folder override them file by file. */

import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Liquid, LiquidError } from 'liquidjs';
import { InputError } from '../core/errors.js';

export const TEMPLATE_EXTENSION = '.liquid';

export interface TemplateLoaderOptions {
  /** Folder whose files take precedence over the bundled ones; a `prompts/` subfolder is used when present. */
  overrideDir?: string;
  /** Replaces the bundled folder (tests). */
  bundledDir?: string;
}

export interface TemplateLoader {
  /** Folders searched, highest precedence first. */
  readonly dirs: readonly string[];
  /** Absolute path of the file a template name resolves to, or undefined when no folder has it. */
  resolve(name: string): string | undefined;
  /** Renders a template by name (without extension); task text must come in through `variables`. */
  render(name: string, variables: Record<string, unknown>): Promise<string>;
}

/** Nearest ancestor directory of `from` holding a package.json: works from `src/` under tsx and `dist/` after tsc. */
export function findPackageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(from);
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

/** The templates shipped with weft. */
export function bundledTemplatesDir(): string {
  return join(findPackageRoot(), 'templates', 'prompts');
}

/** Creates a loader over the bundled templates and an optional override folder. */
export function createTemplateLoader(options: TemplateLoaderOptions = {}): TemplateLoader {
  const dirs: string[] = [];
  if (options.overrideDir !== undefined) dirs.push(overrideFolder(options.overrideDir));
  dirs.push(options.bundledDir ?? bundledTemplatesDir());
  const liquid = new Liquid({
    root: dirs,
    extname: TEMPLATE_EXTENSION,
    // Parsed templates are reused across the budget loop's re-renders and across tasks.
    cache: true,
    // A misspelt filter in a user template should fail loudly, not render as nothing.
    strictFilters: true,
    // Tags alone on a line vanish with their newline, so templates stay readable without `{%-`.
    trimTagRight: true,
    greedy: false,
  });
  liquid.registerFilter('fence', fence);
  const resolveName = (name: string): string | undefined => {
    for (const dir of dirs) {
      const file = join(dir, name + TEMPLATE_EXTENSION);
      if (existsSync(file)) return file;
    }
    return undefined;
  };
  return {
    dirs,
    resolve: resolveName,
    async render(name, variables) {
      const file = resolveName(name);
      if (file === undefined) {
        throw new InputError(`prompt template "${name}${TEMPLATE_EXTENSION}" not found in ${dirs.join(', ')}`, { template: name });
      }
      try {
        return String(await liquid.renderFile(name, variables));
      } catch (err) {
        throw templateError(err, file);
      }
    },
  };
}

/** Accepts both a copy of weft's `templates/` folder and a folder of prompt templates. */
function overrideFolder(dir: string): string {
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) {
    throw new InputError(`templates folder not found: ${dir}`, { templatesDir: dir });
  }
  const nested = join(abs, 'prompts');
  return existsSync(nested) && statSync(nested).isDirectory() ? nested : abs;
}

/** Names the file that failed: the partial or layout at fault when Liquid knows it, else the top template. */
function templateError(err: unknown, file: string): Error {
  if (!(err instanceof LiquidError)) return err instanceof Error ? err : new Error(String(err));
  let inner: LiquidError = err;
  while (inner.originalError instanceof LiquidError) inner = inner.originalError;
  const at = inner.token?.file ?? file;
  const [line, col] = inner.token ? inner.token.getPosition() : [];
  const where = line === undefined ? at : `${at}:${line}:${col}`;
  const reason = (inner.originalError?.message ?? inner.message).split('\n')[0];
  return new InputError(`${where}: bad prompt template: ${reason}`, { template: at });
}

/**
 * Wraps text in a Markdown code fence longer than any backtick run inside it, so
 * logs and code containing ``` cannot close the block early.
 */
export function fence(text: unknown, lang: unknown = ''): string {
  const body = String(text ?? '').replace(/\n+$/, '');
  const longest = Math.max(0, ...Array.from(body.matchAll(/`+/g), (m) => m[0].length));
  const ticks = '`'.repeat(Math.max(3, longest + 1));
  return `${ticks}${String(lang)}\n${body}\n${ticks}`;
}
