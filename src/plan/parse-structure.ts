/** STRUCTURE.md -> components with `Path:` globs, `Uses:` lists and an optional `Interface:` path. */
import { SourceError } from '../core/errors.js';
import { scanBlocks } from './markdown-blocks.js';

export interface Component {
  name: string;
  paths: string[];
  uses: string[];
  /** Where the component's interface lives, when the document says. */
  interfacePath?: string;
  /** `Verify:` quality gate for tasks in this component (a task's own `Verify:` wins). */
  verify?: string;
  description: string;
  line: number;
  usesLine: number;
}

const META_LINE = /^\s*(?:[-*+]\s+)?(?:\*\*|__)?(paths?|uses|interface|verify)(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*(.*?)\s*$/i;

/** Splits a comma-separated list, dropping backticks and blanks. */
export function splitList(value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(',')) {
    const s = (part.includes('`') ? part.replace(/`/g, '') : part).trim();
    if (s !== '' && s !== '-' && s.toLowerCase() !== 'none') out.push(s);
  }
  return out;
}

/** Parses STRUCTURE.md; every `Uses:` entry must name a component of the document. */
export function parseStructure(text: string, file: string): Component[] {
  if (text.trim() === '') throw new SourceError(file, 1, 'file is empty: expected "## Component" sections with "Path:" and "Uses:" lines');
  const lines = text.split(/\r?\n/);
  const heads: { start: number; name: string }[] = [];
  const tokens = scanBlocks(lines);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type === 'heading_open' && t.tag === 'h2' && t.start >= 0) {
      heads.push({ start: t.start, name: (tokens[i + 1]?.content ?? '').replace(/^component\s*:\s*/i, '').trim() });
    }
  }
  if (heads.length === 0) throw new SourceError(file, 1, 'no components found: each component is a "## Name" section');
  const components = heads.map((h, k): Component => {
    const end = heads[k + 1]?.start ?? lines.length;
    const c: Component = { name: h.name, paths: [], uses: [], description: '', line: h.start + 1, usesLine: h.start + 1 };
    const prose: string[] = [];
    for (let r = h.start + 1; r < end; r++) {
      const m = META_LINE.exec(lines[r]!);
      if (!m) {
        prose.push(lines[r]!);
        continue;
      }
      const key = m[1]!.toLowerCase();
      if (key.startsWith('path')) c.paths.push(...splitList(m[2]!));
      else if (key === 'uses') {
        c.uses.push(...splitList(m[2]!));
        c.usesLine = r + 1;
      } else if (key === 'verify') {
        const v = m[2]!.trim().replace(/^`(.*)`$/, '$1');
        if (v) c.verify = v;
      } else c.interfacePath = m[2]!.replace(/`/g, '').trim();
    }
    c.description = prose.join('\n').trim();
    return c;
  });
  const byName = new Map<string, Component>();
  for (const c of components) {
    const prev = byName.get(c.name.toLowerCase());
    if (prev) throw new SourceError(file, c.line, `duplicate component "${c.name}" (first defined at ${file}:${prev.line})`);
    byName.set(c.name.toLowerCase(), c);
  }
  for (const c of components) {
    c.uses = c.uses.map((u) => {
      const target = byName.get(u.toLowerCase());
      if (!target) {
        throw new SourceError(file, c.usesLine, `component "${c.name}" uses unknown component "${u}" (known: ${components.map((x) => x.name).join(', ')})`);
      }
      return target.name;
    });
  }
  return components;
}
