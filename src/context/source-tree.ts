/**
 * The files of a repository as code context reads them: a git commit (the run's integration branch,
 * so a task sees what its dependencies produced) or a folder on disk. Each file has a version key
 * (blob id, or size and mtime) so parsed results can be cached across prompts.
 */

import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { git, gitLines, gitText } from '../vcs/git.js';

/** Files larger than this are never read for context (generated bundles, data). */
export const MAX_SOURCE_BYTES = 256 * 1024;
const MAX_FILES = 50_000;
const SKIPPED_DIRS: ReadonlySet<string> = new Set(['.git', 'node_modules', 'dist', 'build', 'coverage', '.weft', 'vendor', 'target', '__pycache__', '.venv', '.next']);

/** Read access to one repository's files, paths relative to its root with `/` separators. */
export interface SourceTree {
  /** Every file (sorted) with its version key. */
  list(): Promise<ReadonlyMap<string, string>>;
  /** A file's text, or undefined when it is missing, too large or binary. */
  read(path: string): Promise<string | undefined>;
  /** Listed files whose text contains `needle` (fixed string, case-sensitive). */
  grep(needle: string): Promise<string[]>;
}

function skipped(path: string): boolean {
  return path.split('/').some((part) => SKIPPED_DIRS.has(part));
}

/** The tree of `ref` in the repository at `repo`; the listing is taken once. */
export function createGitSourceTree(repo: string, ref: string): SourceTree {
  let listing: Promise<Map<string, string>> | undefined;
  return {
    list() {
      listing ??= (async () => {
        const lines = await gitLines(repo, ['ls-tree', '-r', '-l', '--full-tree', ref]);
        const files = new Map<string, string>();
        for (const line of lines) {
          // <mode> SP <type> SP <object> SP+ <size> TAB <path>
          const m = /^\d+ blob ([0-9a-f]+)\s+(\d+|-)\t(.*)$/.exec(line);
          if (!m || skipped(m[3]!) || Number(m[2]) > MAX_SOURCE_BYTES) continue;
          files.set(m[3]!, m[1]!);
          if (files.size >= MAX_FILES) break;
        }
        return files;
      })();
      return listing;
    },
    async read(path) {
      const blob = (await this.list()).get(path);
      if (blob === undefined) return undefined;
      const out = await git(repo, ['cat-file', 'blob', blob]);
      return out.stdout.includes('\u0000') ? undefined : out.stdout;
    },
    async grep(needle) {
      const files = await this.list();
      const out = await git(repo, ['grep', '-l', '-I', '-F', '-e', needle, ref, '--'], { allowFail: true });
      const prefix = `${ref}:`;
      return out.stdout
        .split('\n')
        .map((l) => (l.startsWith(prefix) ? l.slice(prefix.length) : l))
        .filter((p) => files.has(p));
    },
  };
}

/** The tree of a folder on disk: git's view of it (tracked and unignored files) when it is a repository. */
export function createFsSourceTree(root: string): SourceTree {
  let listing: Promise<Map<string, string>> | undefined;
  return {
    list() {
      listing ??= (async () => {
        let paths: string[];
        try {
          await gitText(root, ['rev-parse', '--show-toplevel']);
          paths = (await gitLines(root, ['ls-files', '--cached', '--others', '--exclude-standard'])).filter((f) => !skipped(f));
        } catch {
          paths = await walk(root);
        }
        const files = new Map<string, string>();
        for (const path of [...new Set(paths)].sort().slice(0, MAX_FILES)) {
          const info = await stat(join(root, path)).catch(() => undefined);
          if (info?.isFile() && info.size <= MAX_SOURCE_BYTES) files.set(path, `${info.size}:${info.mtimeMs}`);
        }
        return files;
      })();
      return listing;
    },
    async read(path) {
      if (!(await this.list()).has(path)) return undefined;
      const text = await readFile(join(root, path), 'utf8').catch(() => undefined);
      return text === undefined || text.includes('\u0000') ? undefined : text;
    },
    async grep(needle) {
      const files = await this.list();
      const out = await git(root, ['grep', '-l', '-I', '-F', '--untracked', '-e', needle, '--'], { allowFail: true }).catch(() => undefined);
      if (out && out.code <= 1) return out.stdout.split('\n').filter((p) => files.has(p));
      const hits: string[] = [];
      for (const path of files.keys()) if ((await this.read(path))?.includes(needle)) hits.push(path);
      return hits;
    },
  };
}

async function walk(root: string): Promise<string[]> {
  const out: string[] = [];
  const stack = [root];
  while (stack.length > 0 && out.length < MAX_FILES) {
    const dir = stack.pop()!;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name) && !e.name.startsWith('.')) stack.push(join(dir, e.name));
      } else if (e.isFile()) out.push(relative(root, join(dir, e.name)).split(sep).join('/'));
    }
  }
  return out;
}
