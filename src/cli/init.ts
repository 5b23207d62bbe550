/** `weft init`: writes a starter REQUIREMENTS.md, STRUCTURE.md and weft.config.yaml. */

import { constants } from 'node:fs';
import { access, copyFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../core/errors.js';

/** The files `weft init` writes, in the order it writes them. */
export const INIT_FILES = ['REQUIREMENTS.md', 'STRUCTURE.md', 'weft.config.yaml'] as const;

// src/cli and dist/cli sit at the same depth, so one relative URL serves both the source and the build.
const TEMPLATE_DIR = fileURLToPath(new URL('../../templates/init/', import.meta.url));

/** Options for `initProject`. */
export interface InitOptions {
  /** Overwrite files that already exist. */
  force?: boolean;
}

/** Writes the starter files into `dir` (created if missing); returns the absolute paths written. */
export async function initProject(dir: string, opts: InitOptions = {}): Promise<string[]> {
  const root = resolve(dir);
  const targets = INIT_FILES.map((name) => ({ name, path: join(root, name) }));
  if (!opts.force) {
    // Check everything first so a refusal leaves the directory exactly as it was.
    const existing = [];
    for (const t of targets) if (await exists(t.path)) existing.push(t.name);
    if (existing.length > 0) {
      throw new InputError(`${root}: ${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}; use --force to overwrite`, {
        dir: root,
        files: existing,
      });
    }
  }
  await mkdir(root, { recursive: true });
  for (const t of targets) {
    // COPYFILE_EXCL closes the gap between the check above and the write.
    await copyFile(join(TEMPLATE_DIR, t.name), t.path, opts.force ? 0 : constants.COPYFILE_EXCL).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') throw new InputError(`${t.path}: already exists; use --force to overwrite`, { dir: root, files: [t.name] });
      throw err;
    });
  }
  return targets.map((t) => t.path);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes one starter file (`REQUIREMENTS.md` or `STRUCTURE.md`) to `path`; refuses to overwrite without `force`. */
export async function writeStarterFile(name: (typeof INIT_FILES)[number], path: string, opts: InitOptions = {}): Promise<string> {
  const target = resolve(path);
  await mkdir(join(target, '..'), { recursive: true });
  await copyFile(join(TEMPLATE_DIR, name), target, opts.force ? 0 : constants.COPYFILE_EXCL).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EEXIST') throw new InputError(`${path}: already exists; use --force to overwrite`, { file: path });
    throw err;
  });
  return target;
}
