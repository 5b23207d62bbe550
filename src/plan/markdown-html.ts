/** CommonMark's HTML block starts, for the block scanner: which lines open one, and what ends it. */

// CommonMark's HTML blocks: kinds 1-5 end at a marker, 6 (block-level tags) and 7 (any tag alone on its line) at a blank line.
const HTML_RAW = /^<(script|pre|style|textarea)(?:[\s>]|$)/i;
const HTML_UNTIL: ReadonlyArray<[RegExp, string]> = [
  [/^<!--/, '-->'],
  [/^<\?/, '?>'],
  [/^<![A-Za-z]/, '>'],
  [/^<!\[CDATA\[/, ']]>'],
];
const HTML_BLOCK_TAG =
  /^<\/?(?:address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|details|dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|h[1-6]|head|header|hr|html|iframe|legend|li|link|main|menu|menuitem|nav|noframes|ol|optgroup|option|p|param|search|section|summary|table|tbody|td|tfoot|th|thead|title|tr|track|ul)(?:[\s>]|\/>|$)/i;
const HTML_LONE_TAG = /^(?:<[A-Za-z][A-Za-z0-9-]*(?:\s+[A-Za-z_:][\w.:-]*(?:\s*=\s*(?:[^\s"'=<>`]+|'[^']*'|"[^"]*"))?)*\s*\/?>|<\/[A-Za-z][A-Za-z0-9-]*\s*>)\s*$/;

/** How an HTML block starting with `text` ends: at a marker string, or 'blank' (a blank line); undefined if none starts. */
export function htmlBlockEnd(text: string, interruptingParagraph: boolean): string | undefined {
  const raw = HTML_RAW.exec(text);
  if (raw) return `</${raw[1]!.toLowerCase()}>`;
  for (const [re, end] of HTML_UNTIL) if (re.test(text)) return end;
  if (HTML_BLOCK_TAG.test(text)) return 'blank';
  return !interruptingParagraph && HTML_LONE_TAG.test(text) ? 'blank' : undefined;
}
