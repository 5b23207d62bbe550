/** Source languages weft can outline, by file extension, with the tree-sitter-wasms grammar of each. */

export const LANGUAGES = [
  { name: 'typescript', grammar: 'typescript', extensions: ['.ts', '.mts', '.cts'] },
  { name: 'tsx', grammar: 'tsx', extensions: ['.tsx'] },
  { name: 'javascript', grammar: 'javascript', extensions: ['.js', '.mjs', '.cjs', '.jsx'] },
  { name: 'python', grammar: 'python', extensions: ['.py'] },
  { name: 'go', grammar: 'go', extensions: ['.go'] },
  { name: 'rust', grammar: 'rust', extensions: ['.rs'] },
  { name: 'java', grammar: 'java', extensions: ['.java'] },
  { name: 'ruby', grammar: 'ruby', extensions: ['.rb'] },
] as const;

export type LanguageName = (typeof LANGUAGES)[number]['name'];
export type Language = (typeof LANGUAGES)[number];

/** The language of a path by its extension, or undefined when weft has no grammar for it. */
export function languageOf(path: string): Language | undefined {
  const dot = path.lastIndexOf('.');
  if (dot === -1) return undefined;
  const ext = path.slice(dot).toLowerCase();
  return LANGUAGES.find((l) => (l.extensions as readonly string[]).includes(ext));
}

/** Markdown fence language for a path (`ts`, `py`, …); empty when unknown. */
export function fenceLanguage(path: string): string {
  const dot = path.lastIndexOf('.');
  return dot === -1 ? '' : path.slice(dot + 1).toLowerCase();
}
