/** REQUIREMENTS.md -> RequirementsDoc. Line numbers are 1-based and kept for every error message. */
import { SourceError } from '../core/errors.js';
import { parseEstimate } from './estimate.js';
import { scanBlocks, type BlockToken } from './markdown-blocks.js';
import { closeIds } from '../core/close-match.js';
import { META_KEY_TABLE, META_KEYS, type ChecklistItem, type MetaKey, type RequirementSection, type RequirementsDoc } from './requirements-doc.js';
import { slugify } from './slug.js';

const META_LINE = /^\s*(?:[-*+]\s+)?(?:\*\*|__)?([A-Za-z][A-Za-z -]*?)(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*(.*?)\s*$/;
const EXPLICIT_ID = /^([A-Za-z0-9][A-Za-z0-9_.-]*)\s*:\s*(\S.*)$/;
const CHECKBOX = /^\[([ xX])\]\s+/;
const ITEM_ESTIMATE = /\s*\(([^()]+)\)\s*$/;
const ACCEPTANCE = /^\s*(?:\*\*|__)?acceptance criteria(?:\*\*|__)?\s*:?\s*(?:\*\*|__)?\s*$/i;

/** Parses the requirements document; throws SourceError naming FILE:LINE on malformed input. */
export function parseRequirements(text: string, file: string): RequirementsDoc {
  if (text.trim() === '') throw new SourceError(file, 1, 'file is empty: expected a "# Title" and "## Requirement" sections');
  const lines = text.split(/\r?\n/);
  // Only block structure matters; a dedicated scanner is ~10x faster than markdown-it here.
  const tokens = scanBlocks(lines);

  let title = '';
  let titleEnd = 0;
  const sections: Section[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type !== 'heading_open' || t.start < 0) continue;
    const content = tokens[i + 1]?.content.trim() ?? '';
    if (t.tag === 'h1' && !title && sections.length === 0) {
      title = content;
      titleEnd = t.end;
    } else if (t.tag === 'h2') {
      const last = sections.at(-1);
      if (last) {
        last.end = t.start;
        last.tokenEnd = i;
      }
      sections.push({ start: t.start, end: lines.length, headingText: content, tokenStart: i, tokenEnd: tokens.length });
    }
  }
  if (sections.length === 0) {
    throw new SourceError(file, 1, 'no requirements found: each requirement is a "## ID: Title" or "## Title" section');
  }

  const contextEnd = sections[0]!.start;
  const context = trimBlock(lines.slice(titleEnd, contextEnd));
  // Lines that are not description (heading, metadata, items, criteria), for all sections at once.
  const skip = new Uint8Array(lines.length);
  const requirements = sections.map((s) => parseSection(tokens, lines, s, file, skip));
  return { file, title: title || requirements[0]!.title, context, requirements };
}

/** A `##` section: 0-based line range [start, end) and token index range [tokenStart, tokenEnd). */
interface Section {
  start: number;
  end: number;
  headingText: string;
  tokenStart: number;
  tokenEnd: number;
}

function parseSection(tokens: BlockToken[], lines: string[], section: Section, file: string, skip: Uint8Array): RequirementSection {
  const headingLine = section.start + 1;
  const explicit = EXPLICIT_ID.exec(section.headingText);
  const title = (explicit ? explicit[2]! : section.headingText).trim();
  const id = explicit ? explicit[1]! : slugify(title);
  if (!id) throw new SourceError(file, headingLine, `requirement heading "${section.headingText}" gives no usable id`);

  // Metadata: consecutive `Key: value` lines right under the heading (blank lines before them allowed).
  const meta: RequirementSection['meta'] = {};
  skip[section.start] = 1;
  let row = section.start + 1;
  while (row < section.end && lines[row]!.trim() === '') row++;
  const firstMetaRow = row;
  for (; row < section.end; row++) {
    const m = META_LINE.exec(lines[row]!);
    if (!m) break;
    const raw = m[1]!.toLowerCase();
    // Normalizing `Depends-On` and odd spacing only when present keeps the common case allocation-free.
    const key = /-|\s\s|[^\S ]/.test(raw) ? raw.replace(/-/g, ' ').replace(/\s+/g, ' ').trim() : raw;
    if (isMetaKey(key)) {
      const first = meta[key];
      if (first) throw new SourceError(file, row + 1, `"${m[1]}:" given twice for "${id}" (first at ${file}:${first.line}); keep one line`);
      meta[key] = { value: m[2]!, line: row + 1 };
      skip[row] = 1;
      continue;
    }
    const unknown = unknownKey(m[1]!, key, m[2]!, row > firstMetaRow);
    if (unknown) throw new SourceError(file, row + 1, unknown);
    break;
  }

  const items: ChecklistItem[] = [];
  const acceptanceCriteria: string[] = [];
  // Token line ranges are 0-based [start, end).
  const skipRange = (t: BlockToken) => {
    // Clamped: a list can run on past an indented `##` that starts the next section.
    for (let r = t.start, end = Math.min(t.end, section.end); r < end; r++) skip[r] = 1;
  };
  // Acceptance criteria come from a "### Acceptance criteria" heading (until a heading of the same
  // or a higher level) or from the list right after an "Acceptance criteria:" paragraph.
  let acceptanceHeadingLevel = 0;
  let labelSeen = false;
  let labelledListOpen = false;
  let depth = 0;
  for (let i = section.tokenStart + 3; i < section.tokenEnd; i++) {
    const t = tokens[i]!;
    if (t.type === 'bullet_list_open' || t.type === 'ordered_list_open') {
      depth++;
      if (depth === 1 && labelSeen) {
        labelledListOpen = true;
        labelSeen = false;
      }
    } else if (t.type === 'bullet_list_close' || t.type === 'ordered_list_close') {
      depth--;
      if (depth === 0) labelledListOpen = false;
    }
    const inAcceptance = acceptanceHeadingLevel > 0 || labelledListOpen;
    if (t.type === 'heading_open') {
      const level = Number(t.tag.slice(1));
      if (ACCEPTANCE.test(tokens[i + 1]?.content ?? '')) acceptanceHeadingLevel = level;
      else if (level <= acceptanceHeadingLevel) acceptanceHeadingLevel = 0;
      if (acceptanceHeadingLevel) skipRange(t);
      continue;
    }
    if (t.type === 'paragraph_open' && depth === 0 && ACCEPTANCE.test(tokens[i + 1]?.content ?? '')) {
      labelSeen = true;
      skipRange(t);
      continue;
    }
    if (t.type !== 'list_item_open') {
      if (inAcceptance && t.start >= 0) skipRange(t);
      continue;
    }
    const inline = tokens[i + 2]?.type === 'inline' ? tokens[i + 2]!.content : '';
    if (inAcceptance) {
      if (depth === 1) acceptanceCriteria.push(collapse(inline.replace(CHECKBOX, '')));
      skipRange(t);
      continue;
    }
    const box = CHECKBOX.exec(inline);
    if (!box) continue;
    const line = t.start + 1;
    let text = collapse(inline.replace(CHECKBOX, ''));
    let estimateMinutes: number | undefined;
    const est = ITEM_ESTIMATE.exec(text);
    if (est) {
      const minutes = parseEstimate(est[1]!);
      if (minutes !== undefined) {
        estimateMinutes = minutes;
        text = text.slice(0, est.index).trim();
      }
    }
    if (!text) throw new SourceError(file, line, 'checklist item has no text');
    items.push({ text, done: box[1] !== ' ', line, ...(estimateMinutes !== undefined ? { estimateMinutes } : {}) });
    // Only the item's own first paragraph belongs to the item; nested content stays in the description.
    const para = tokens[i + 1];
    const end = para && para.start >= 0 ? para.end : t.start + 1;
    for (let r = t.start; r < Math.min(end, section.end); r++) skip[r] = 1;
  }

  const kept: string[] = [];
  for (let r = section.start; r < section.end; r++) kept.push(skip[r] === 1 ? '' : lines[r]!);
  const description = trimBlock(kept);
  return { id, title, line: headingLine, meta, description, acceptanceCriteria, items };
}

function isMetaKey(key: string): key is MetaKey {
  return (META_KEYS as readonly string[]).includes(key);
}

/**
 * The error for a `Key: value` line in the metadata block whose key is not known, or null when the
 * line is prose. A known alias (`Dependencies:`) or a near miss (`Prority:`) is an error anywhere in
 * the block; any other short key only after a known key line, since a description may well start
 * with "Note: ...".
 */
function unknownKey(written: string, key: string, value: string, afterMeta: boolean): string | null {
  if (value === '' || value.startsWith('//') || key.split(' ').length > 3) return null;
  const alias = META_KEY_TABLE.find((k) => (k.aliases as readonly string[]).includes(key));
  const close = alias ? [alias.label] : closeIds(key, META_KEYS, 1).map((k) => META_KEY_TABLE.find((t) => t.key === k)!.label);
  if (close.length === 0 && !afterMeta) return null;
  const known = META_KEY_TABLE.map((k) => `${k.label}:`).join(', ');
  const hint = close.length > 0 ? `did you mean "${close[0]}:"?` : `known keys: ${known}`;
  return `unknown metadata key "${written}:" (${hint})`;
}

function collapse(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Joins lines, trims blank edges and squeezes runs of blank lines to one. */
function trimBlock(block: string[]): string {
  return block.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}
