/**
 * Which files matter to a task, best first: the files it touches, what they import, what imports
 * them, their folder, weighted by how many of the task's words the path and definitions share.
 */

import { posix } from 'node:path';
import picomatch from 'picomatch';
import { languageOf } from './languages.js';
import { overlap, wordsOf } from './task-words.js';

/** Why a file is in a task's context. */
export const RELATIONS = ['touched', 'imported', 'importer', 'same folder', 'second-degree', 'related by name'] as const;
export type Relation = (typeof RELATIONS)[number];

const RELATION_SCORE: Readonly<Record<Relation, number>> = {
  touched: 100,
  imported: 60,
  importer: 50,
  'same folder': 25,
  'second-degree': 15,
  'related by name': 10,
};

/** A file chosen for a task's context. */
export interface RankedFile {
  path: string;
  relation: Relation;
  score: number;
}

/** What ranking needs to know about the repository (gathered beforehand for the seeds and their imports). */
export interface RankInput {
  files: readonly string[];
  /** Repository files a source file imports (resolved); empty when not gathered. */
  importsOf(path: string): readonly string[];
  /** Files that import `path`; empty when not gathered. */
  importersOf(path: string): readonly string[];
}

/** The task's own files: exact paths and glob matches among `files`. */
export function touchedFiles(patterns: readonly string[], files: readonly string[]): string[] {
  const out = new Set<string>();
  const set = new Set(files);
  for (const raw of patterns) {
    const pattern = raw.replace(/^\.\//, '').replace(/\/$/, '/**');
    if (set.has(pattern)) out.add(pattern);
    else if (picomatch.scan(pattern).isGlob || !pattern.includes('.')) {
      const match = picomatch(pattern.includes('*') ? pattern : `${pattern}/**`, { dot: true });
      for (const f of files) if (match(f)) out.add(f);
    }
  }
  return [...out];
}

/** Ranks up to `limit` source files for a task with these touched files and words. */
export function rankFiles(input: RankInput, touched: readonly string[], words: ReadonlySet<string>, limit: number): RankedFile[] {
  const best = new Map<string, RankedFile>();
  const offer = (path: string, relation: Relation) => {
    if (languageOf(path) === undefined) return;
    const score = RELATION_SCORE[relation] + 6 * overlap(words, wordsOf(path));
    const prev = best.get(path);
    if (!prev || prev.score < score) best.set(path, { path, relation, score });
  };
  for (const t of touched) offer(t, 'touched');
  const seeds = seedFiles(input.files, touched, words);
  if (touched.length === 0) for (const s of seeds) offer(s, 'related by name');
  const folders = new Set(seeds.map((s) => posix.dirname(s)));
  for (const s of seeds) {
    for (const imported of input.importsOf(s)) {
      offer(imported, 'imported');
      for (const second of input.importsOf(imported)) offer(second, 'second-degree');
    }
    for (const importer of input.importersOf(s)) offer(importer, 'importer');
  }
  for (const f of input.files) if (folders.has(posix.dirname(f))) offer(f, 'same folder');
  for (const f of byName(input.files, words, 5)) offer(f, 'related by name');
  return [...best.values()].sort((a, b) => b.score - a.score || a.path.localeCompare(b.path)).slice(0, limit);
}

/** The files ranking grows from: the touched ones, else those named most like the task. */
export function seedFiles(files: readonly string[], touched: readonly string[], words: ReadonlySet<string>): readonly string[] {
  return touched.length > 0 ? touched : byName(files, words, 5);
}

/** Source files whose path shares the most task words (at least one). */
function byName(files: readonly string[], words: ReadonlySet<string>, limit: number): string[] {
  if (words.size === 0) return [];
  const scored: Array<{ f: string; n: number }> = [];
  for (const f of files) {
    if (languageOf(f) === undefined) continue;
    const n = overlap(words, wordsOf(f));
    if (n > 0) scored.push({ f, n });
  }
  return scored.sort((a, b) => b.n - a.n || a.f.localeCompare(b.f)).slice(0, limit).map((s) => s.f);
}
