/**
 * The code context of a task's prompt: a repository map (signatures of the files the task touches and
 * their neighbours, ranked by relevance), the related files' content, code examples and the project's
 * dependency manifest, each within its share of the prompt budget. Parsed files are cached by version
 * for the whole run.
 */

import { posix } from 'node:path';
import type { TaskSpec } from '../core/task.js';
import { fenceLanguage, languageOf } from './languages.js';
import { summarizeManifests } from './manifest.js';
import { outlineSource, type Definition, type FileOutline } from './outline.js';
import { rankFiles, seedFiles, touchedFiles, type RankedFile, type Relation } from './rank-files.js';
import { resolveImport } from './resolve-import.js';
import { scanImports } from './scan-imports.js';
import type { SourceTree } from './source-tree.js';
import { overlap, wordsOf } from './task-words.js';

/** Which parts of the code context to gather (config `prompt.include*`) and the prompt budget they share. */
export interface CodeContextSettings {
  includeFileStructure: boolean;
  includeRelatedFiles: boolean;
  includeCodeExamples: boolean;
  includeDependencies: boolean;
  /** The whole prompt's budget in characters; each part takes a share of it. */
  maxChars: number;
}

/** One file whose content goes into the prompt. */
export interface RelatedFile {
  path: string;
  /** Why it is there: `touched`, `imported`, `importer`, `same folder`, … */
  relation: Relation;
  lang: string;
  content: string;
}

/** The parts of a prompt's code context; empty parts are left out of the prompt. */
export interface RepoContext {
  repoMap: string;
  relatedFiles: RelatedFile[];
  examples: string;
  manifest: string;
}

/** Gathers code context for tasks; one per run, so parsed files are reused across its prompts. */
export interface CodeContext {
  forTask(task: TaskSpec, tree: SourceTree): Promise<RepoContext>;
}

// Shares of the budget, so a huge repository cannot crowd out the task itself.
const SHARE = { map: 0.25, related: 0.3, examples: 0.1, manifest: 0.05 } as const;
const MAX_RANKED = 40;
const MAX_EXAMPLES = 3;

/** An empty context (no repository, or everything switched off). */
export const EMPTY_REPO_CONTEXT: RepoContext = Object.freeze({ repoMap: '', relatedFiles: [], examples: '', manifest: '' }) as RepoContext;

/** Creates a code-context gatherer with its per-run caches. */
export function createCodeContext(settings: CodeContextSettings): CodeContext {
  const outlines = new Map<string, Promise<FileOutline>>();
  const imports = new Map<string, Promise<string[]>>();
  const manifests = new Map<string, Promise<string>>();

  const outlineOf = async (tree: SourceTree, path: string): Promise<FileOutline> => {
    const language = languageOf(path);
    const version = (await tree.list()).get(path);
    if (!language || version === undefined) return { definitions: [] };
    const key = `${path}\0${version}`;
    let o = outlines.get(key);
    if (!o) {
      o = tree.read(path).then((text) => (text === undefined ? { definitions: [] } : outlineSource(language, text))).catch(() => ({ definitions: [] }));
      outlines.set(key, o);
    }
    return o;
  };

  const importsOf = async (tree: SourceTree, path: string, files: ReadonlySet<string>): Promise<string[]> => {
    const version = (await tree.list()).get(path);
    if (version === undefined || languageOf(path) === undefined) return [];
    const key = `${path}\0${version}`;
    let specs = imports.get(key);
    if (!specs) imports.set(key, (specs = tree.read(path).then((t) => (t === undefined ? [] : scanImports(t)))));
    const out: string[] = [];
    for (const spec of await specs) {
      const target = resolveImport(path, spec, files);
      if (target !== undefined && target !== path) out.push(target);
    }
    return out;
  };

  return {
    async forTask(task, tree) {
      const listing = await tree.list();
      const files = [...listing.keys()];
      const fileSet = new Set(files);
      const words = wordsOf([task.title, task.description, ...task.acceptanceCriteria].join(' '));
      const touched = touchedFiles(task.files, files);

      // Imports and importers are gathered for the seeds only: importers by scanning the files that
      // mention a seed's name, never the whole repository.
      const forward = new Map<string, string[]>();
      const reverse = new Map<string, string[]>();
      const seeds = seedFiles(files, touched, words).slice(0, 12);
      for (const seed of seeds) {
        const direct = await importsOf(tree, seed, fileSet);
        forward.set(seed, direct);
        for (const d of direct.slice(0, 20)) if (!forward.has(d)) forward.set(d, await importsOf(tree, d, fileSet));
        const stem = posix.basename(seed).replace(/\.[^.]+$/, '');
        // `index.ts` is imported by its folder's name.
        const needle = stem === 'index' || stem === '__init__' ? posix.basename(posix.dirname(seed)) : stem;
        const importers: string[] = [];
        for (const c of (await tree.grep(needle)).slice(0, 200)) {
          if (c !== seed && (await importsOf(tree, c, fileSet)).includes(seed)) importers.push(c);
        }
        reverse.set(seed, importers);
      }
      const ranked = rankFiles({ files, importsOf: (p) => forward.get(p) ?? [], importersOf: (p) => reverse.get(p) ?? [] }, touched, words, MAX_RANKED);

      const outlined = await Promise.all(ranked.map(async (r) => ({ ...r, outline: await outlineOf(tree, r.path) })));
      // Definitions named like the task's words lift their file.
      for (const o of outlined) o.score += 4 * Math.min(5, o.outline.definitions.filter((d) => overlap(words, wordsOf(d.name)) > 0).length);
      outlined.sort((a, b) => b.score - a.score || a.path.localeCompare(b.path));

      return {
        repoMap: settings.includeFileStructure ? renderMap(outlined, Math.floor(settings.maxChars * SHARE.map)) : '',
        relatedFiles: settings.includeRelatedFiles ? await relatedFiles(tree, outlined, Math.floor(settings.maxChars * SHARE.related)) : [],
        examples: settings.includeCodeExamples ? examplesFor(outlined, words, Math.floor(settings.maxChars * SHARE.examples)) : '',
        manifest: settings.includeDependencies ? clip(await manifestOf(tree, listing, manifests), Math.floor(settings.maxChars * SHARE.manifest)) : '',
      };
    },
  };
}

type Outlined = RankedFile & { outline: FileOutline };

const RELATION_NOTE: Readonly<Record<Relation, string>> = {
  touched: 'to change',
  imported: 'imported by a file to change',
  importer: 'imports a file to change',
  'same folder': 'same folder',
  'second-degree': 'imported by a neighbour',
  'related by name': 'named like the task',
};

/** `path (why)` then one indented line per definition, files in rank order until the budget is spent. */
function renderMap(files: readonly Outlined[], budget: number): string {
  const blocks: string[] = [];
  let used = 0;
  for (const f of files) {
    if (f.outline.definitions.length === 0) continue;
    const lines = [`${f.path} (${RELATION_NOTE[f.relation]})`];
    for (const d of f.outline.definitions) {
      lines.push(`  ${d.signature}`);
      for (const m of d.members) lines.push(`    ${m.signature}`);
    }
    let block = lines.join('\n');
    if (used + block.length + 1 > budget) {
      // Keep the head of a large file's outline rather than dropping the file.
      const room = budget - used - 1;
      if (room < 200) break;
      block = block.slice(0, block.lastIndexOf('\n', room)) + '\n  …';
    }
    blocks.push(block);
    used += block.length + 1;
  }
  return blocks.join('\n');
}

/** Whole files, most relevant first, as many as fit: touched files first, then their closest neighbours. */
async function relatedFiles(tree: SourceTree, files: readonly Outlined[], budget: number): Promise<RelatedFile[]> {
  const out: RelatedFile[] = [];
  let used = 0;
  const order = [...files].sort((a, b) => Number(b.relation === 'touched') - Number(a.relation === 'touched') || b.score - a.score);
  for (const f of order) {
    if (f.relation === 'same folder' || f.relation === 'second-degree') continue;
    const content = await tree.read(f.path);
    if (content === undefined || content.trim() === '') continue;
    const cost = content.length + f.path.length + 40;
    if (used + cost > budget) continue;
    out.push({ path: f.path, relation: f.relation, lang: fenceLanguage(f.path), content: content.replace(/\s+$/, '') });
    used += cost;
  }
  return out;
}

/** Full source of a few definitions named like the task, from files not already included whole. */
function examplesFor(files: readonly Outlined[], words: ReadonlySet<string>, budget: number): string {
  const picks: Array<{ path: string; def: Definition; n: number }> = [];
  for (const f of files) {
    for (const d of [...f.outline.definitions, ...f.outline.definitions.flatMap((x) => x.members)]) {
      const n = overlap(words, wordsOf(d.name));
      if (n > 0 && d.text.length < budget) picks.push({ path: f.path, def: d, n });
    }
  }
  picks.sort((a, b) => b.n - a.n || a.def.text.length - b.def.text.length);
  const out: string[] = [];
  let used = 0;
  for (const p of picks.slice(0, MAX_EXAMPLES * 3)) {
    const block = `// ${p.path}:${p.def.line}\n${p.def.text}`;
    if (used + block.length > budget) continue;
    out.push(block);
    used += block.length + 2;
    if (out.length >= MAX_EXAMPLES) break;
  }
  return out.join('\n\n');
}

async function manifestOf(tree: SourceTree, listing: ReadonlyMap<string, string>, cache: Map<string, Promise<string>>): Promise<string> {
  const key = ['package.json', 'pyproject.toml', 'requirements.txt', 'go.mod', 'Cargo.toml'].map((m) => listing.get(m) ?? '').join('\0');
  let m = cache.get(key);
  if (!m) cache.set(key, (m = summarizeManifests(tree)));
  return m;
}

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.lastIndexOf('\n', max);
  return text.slice(0, cut > 0 ? cut : max) + '\n  …';
}
