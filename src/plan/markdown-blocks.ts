/**
 * A line-oriented scanner for the block structure of Markdown: headings (ATX and setext),
 * paragraphs, nested lists, and opaque blocks (fenced and indented code, HTML, block quotes,
 * thematic breaks) whose insides are never read as headings or list items.
 *
 * Tokens are named like markdown-it's, at a fraction of its cost on 100k-line documents: CommonMark's
 * block rules where a requirements document can tell the difference, nothing weft never reads
 * (inline markup, link references, the contents of block quotes).
 */

import { htmlBlockEnd } from './markdown-html.js';

/** One block token: the slice of markdown-it's Token that the requirements parser reads. */
export interface BlockToken {
  type: string;
  tag: string;
  /** 0-based first line; -1 on closing tokens. */
  start: number;
  /** 0-based line after the last; -1 on closing tokens. */
  end: number;
  /** Text of an `inline` token: the heading or paragraph, leading indentation removed. */
  content: string;
}

interface OpenList {
  open: BlockToken;
  item: BlockToken;
  ordered: boolean;
  /** Bullet character, or the delimiter (`.` or `)`) of an ordered list. */
  marker: string;
  /** Column where the current item's content starts; lines indented this far belong to it. */
  contentCol: number;
  /** The current item began with an empty marker line and has no content yet. */
  emptyItem: boolean;
}

interface OpenParagraph {
  open: BlockToken;
  inline: BlockToken;
  parts: string[];
  depth: number; // how many lists enclose it
}

type Opaque =
  | { kind: 'fence'; char: string; len: number; depth: number }
  /** HTML that runs until a line containing `end` (comments, <script>, <pre>, ...). */
  | { kind: 'until'; end: string; depth: number }
  | { kind: 'html' | 'quote' | 'code'; depth: number };

// Closing tokens carry nothing, so one shared instance per type saves an allocation per block.
const CLOSERS = new Map<string, BlockToken>();
const CLOSE = (type: string): BlockToken => {
  if (!CLOSERS.has(type)) CLOSERS.set(type, Object.freeze({ type, tag: '', start: -1, end: -1, content: '' }));
  return CLOSERS.get(type)!;
};
const ATX = /^(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const FENCE = /^(`{3,}|~{3,})([^`]*)$/;
const HR = /^(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$/;
const SETEXT = /^(?:=+|-+)[ \t]*$/;
const LIST_MARKER = /^(?:([-+*])|(\d{1,9})([.)]))(?=[ \t]|$)/;
/** Scans `lines` (a document split on line breaks) into block tokens. */
export function scanBlocks(lines: readonly string[]): BlockToken[] {
  const tokens: BlockToken[] = [];
  const lists: OpenList[] = [];
  // Cast initialisers: the helpers below reassign these, which TypeScript's narrowing does not see.
  let para = null as OpenParagraph | null;
  let opaque = null as Opaque | null;
  let opaqueToken = null as BlockToken | null;
  let prevBlank = true;

  const closeParagraph = (end: number) => {
    if (!para) return;
    para.inline.content = para.parts.join('\n').trim();
    para.open.end = end;
    tokens.push(CLOSE('paragraph_close'));
    para = null;
  };
  const closeOpaque = (end: number) => {
    if (opaqueToken) opaqueToken.end = end;
    opaque = null;
    opaqueToken = null;
  };
  // Closes lists[depth..]; `end` is the line after the last one they hold.
  const closeLists = (depth: number, end: number) => {
    while (lists.length > depth) {
      const list = lists.pop()!;
      list.item.end = Math.max(list.item.start + 1, end);
      list.open.end = list.item.end;
      tokens.push(CLOSE('list_item_close'), CLOSE(list.ordered ? 'ordered_list_close' : 'bullet_list_close'));
    }
  };
  let lastContent = -1; // last non-blank line consumed, so closed blocks end before trailing blank lines
  const startOpaque = (kind: Opaque, type: string, n: number) => {
    opaque = kind;
    opaqueToken = { type, tag: '', start: n, end: n + 1, content: '' };
    tokens.push(opaqueToken);
  };

  for (let n = 0; n < lines.length; n++) {
    let line = lines[n]!;
    if (line.includes('\t')) line = expandTabs(line);
    let start = 0;
    while (start < line.length && line.charCodeAt(start) === 32) start++;
    const blank = start === line.length;
    const indent = start;

    if (opaque) {
      const base = opaque.depth === 0 ? 0 : lists[opaque.depth - 1]!.contentCol;
      const outside = !blank && indent < base;
      const o = opaque;
      if (!outside && o.kind === 'fence') {
        const close = line.slice(start);
        if (indent - base < 4 && close.startsWith(o.char.repeat(o.len)) && /^([`~])\1*[ \t]*$/.test(close)) closeOpaque(n + 1);
        lastContent = n;
        continue;
      }
      if (!outside && o.kind === 'until') {
        if (line.toLowerCase().includes(o.end)) closeOpaque(n + 1);
        lastContent = n;
        continue;
      }
      if (o.kind === 'code' && !outside && (blank || indent - base >= 4)) {
        if (!blank) {
          opaqueToken!.end = n + 1;
          lastContent = n;
        }
        continue;
      }
      if ((o.kind === 'html' || o.kind === 'quote') && !blank && !outside) {
        const rest = line.slice(start);
        if (o.kind === 'html' || rest.startsWith('>') || !isBlockStart(rest, indent - base)) {
          opaqueToken!.end = n + 1;
          lastContent = n;
          continue;
        }
      }
      if (o.kind !== 'code') closeOpaque(lastContent + 1);
      else closeOpaque(opaqueToken!.end);
    }

    if (blank) {
      // An item can begin with at most one blank line: an empty item followed by a blank line is over.
      const last = lists.at(-1);
      if (last?.emptyItem) last.contentCol = Infinity;
      closeParagraph(lastContent + 1);
      prevBlank = true;
      continue;
    }

    // How many open list items hold this line (by indentation).
    let depth = 0;
    while (depth < lists.length && indent >= lists[depth]!.contentCol) depth++;
    if (depth > 0) lists[depth - 1]!.emptyItem = false;
    const base = depth === 0 ? 0 : lists[depth - 1]!.contentCol;
    const rel = indent - base;
    const text = line.slice(start);

    if (depth < lists.length) {
      // A paragraph carries on through a less indented line that starts nothing else (lazy continuation).
      // The paragraph is not the outer container's own, so CommonMark's interruption limits do not apply.
      if (para && !prevBlank && (rel >= 4 || !isBlockStart(text, rel))) {
        para.parts.push(text);
        lastContent = n;
        continue;
      }
      const m = rel < 4 ? LIST_MARKER.exec(text) : null;
      const list = lists[depth]!;
      if (m && list.ordered === (m[2] !== undefined) && list.marker === (m[1] ?? m[3])) {
        closeParagraph(lastContent + 1);
        closeLists(depth + 1, lastContent + 1);
        list.item.end = Math.max(list.item.start + 1, lastContent + 1);
        tokens.push(CLOSE('list_item_close'));
        openItem(list, m, line, start, n);
        continue;
      }
      closeParagraph(lastContent + 1);
      closeLists(depth, lastContent + 1);
    }

    const paraHere = para !== null && para.depth === depth;
    if (rel >= 4) {
      if (paraHere) para!.parts.push(line.slice(base));
      else {
        closeParagraph(lastContent + 1);
        startOpaque({ kind: 'code', depth }, 'code_block', n);
      }
      lastContent = n;
      prevBlank = false;
      continue;
    }
    // Dispatch on the first character: most lines are prose, and need no regex at all.
    const c = text.charCodeAt(0);
    if (paraHere && (c === 61 || c === 45) && SETEXT.test(text)) {
      const p = para!; // the paragraph was the text of a setext heading
      Object.assign(p.open, { type: 'heading_open', tag: c === 61 ? 'h1' : 'h2', end: n + 1 });
      p.inline.content = p.parts.join('\n').trim();
      tokens.push(CLOSE('heading_close'));
      para = null;
      lastContent = n;
      prevBlank = false;
      continue;
    }
    const atx = c === 35 ? ATX.exec(text) : null;
    const marker = c === 45 || c === 43 || c === 42 || (c >= 48 && c <= 57) ? LIST_MARKER.exec(text) : null;
    if (atx) {
      closeParagraph(lastContent + 1);
      const tag = `h${atx[1]!.length}`;
      tokens.push({ type: 'heading_open', tag, start: n, end: n + 1, content: '' }, { type: 'inline', tag: '', start: n, end: n + 1, content: (atx[2] ?? '').trim() }, CLOSE('heading_close'));
    } else if ((c === 96 || c === 126) && FENCE.test(text)) {
      closeParagraph(lastContent + 1);
      const run = /^([`~])\1*/.exec(text)![0];
      startOpaque({ kind: 'fence', char: run[0]!, len: run.length, depth }, 'fence', n);
    } else if ((c === 42 || c === 45 || c === 95) && HR.test(text)) {
      closeParagraph(lastContent + 1);
      tokens.push({ type: 'hr', tag: 'hr', start: n, end: n + 1, content: '' });
    } else if (c === 62) {
      closeParagraph(lastContent + 1);
      startOpaque({ kind: 'quote', depth }, 'blockquote_open', n);
    } else if (c === 60 && htmlBlockEnd(text, paraHere) !== undefined) {
      closeParagraph(lastContent + 1);
      const kind = htmlBlockEnd(text, paraHere)!;
      if (kind === 'blank') startOpaque({ kind: 'html', depth }, 'html_block', n);
      else {
        startOpaque({ kind: 'until', end: kind, depth }, 'html_block', n);
        // The end marker may sit on the opening line itself (`<!-- note -->`).
        if (text.toLowerCase().includes(kind, 1)) closeOpaque(n + 1);
      }
    } else if (marker && (!paraHere || canInterrupt(marker, text))) {
      closeParagraph(lastContent + 1);
      const ordered = marker[2] !== undefined;
      const open: BlockToken = { type: ordered ? 'ordered_list_open' : 'bullet_list_open', tag: ordered ? 'ol' : 'ul', start: n, end: n + 1, content: '' };
      tokens.push(open);
      const list: OpenList = { open, item: open, ordered, marker: marker[1] ?? marker[3]!, contentCol: 0, emptyItem: false };
      lists.push(list);
      openItem(list, marker, line, start, n);
      continue;
    } else if (paraHere) {
      // Like markdown-it: the container's indentation is removed, any further indentation kept.
      para!.parts.push(line.slice(base));
    } else {
      openParagraph(text, n, depth);
    }
    lastContent = n;
    prevBlank = false;
  }
  if (opaque) closeOpaque(lastContent + 1);
  closeParagraph(lastContent + 1);
  closeLists(0, lastContent + 1);
  return tokens;

  /** Starts a list item at line `n`; the rest of the marker line opens its first paragraph. */
  function openItem(list: OpenList, m: RegExpExecArray, line: string, start: number, n: number): void {
    const afterMarker = start + m[0].length;
    let contentStart = afterMarker;
    while (contentStart < line.length && line.charCodeAt(contentStart) === 32) contentStart++;
    const spaces = contentStart - afterMarker;
    const empty = contentStart === line.length;
    // One to four spaces set the content column; more (or none, on an empty item) mean one.
    list.contentCol = empty || spaces > 4 ? afterMarker + 1 : contentStart;
    list.emptyItem = empty;
    const item: BlockToken = { type: 'list_item_open', tag: 'li', start: n, end: n + 1, content: '' };
    list.item = item;
    tokens.push(item);
    if (!empty) openParagraph(spaces > 4 ? line.slice(afterMarker + 1) : line.slice(contentStart), n, lists.indexOf(list) + 1);
    lastContent = n;
    prevBlank = empty;
  }

  function openParagraph(text: string, n: number, depth: number): void {
    const open: BlockToken = { type: 'paragraph_open', tag: 'p', start: n, end: n + 1, content: '' };
    const inline: BlockToken = { type: 'inline', tag: '', start: n, end: n + 1, content: '' };
    tokens.push(open, inline);
    para = { open, inline, parts: [text], depth };
  }
}

/**
 * Whether `text` (indented `rel` columns) starts a block, checked for a line that could also be the
 * lazy continuation of a paragraph in a deeper container: list items may start it, a lone HTML tag may not.
 */
function isBlockStart(text: string, rel: number): boolean {
  if (rel >= 4) return false;
  if (text.charCodeAt(0) === 35 && ATX.test(text)) return true;
  if (FENCE.test(text) || HR.test(text) || text.startsWith('>') || LIST_MARKER.test(text)) return true;
  return text.charCodeAt(0) === 60 && htmlBlockEnd(text, true) !== undefined;
}

/** CommonMark: a list item interrupts a paragraph only if it has content and, when ordered, starts at 1. */
function canInterrupt(m: RegExpExecArray, text: string): boolean {
  if (text.slice(m[0].length).trim() === '') return false;
  return m[2] === undefined || Number(m[2]) === 1;
}

/** Replaces tabs by spaces up to the next multiple of four columns. */
function expandTabs(line: string): string {
  let out = '';
  for (const ch of line) out += ch === '\t' ? ' '.repeat(4 - (out.length % 4)) : ch;
  return out;
}
