/**
 * tree-sitter behind one small function: web-tree-sitter 0.22 (newer releases cannot load the
 * tree-sitter-wasms grammars), loaded on first use so commands that never outline code pay nothing.
 */

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type ParserType from 'web-tree-sitter';
import type { Language } from './languages.js';

/** The slice of a tree-sitter syntax node that outlining uses. */
export type SyntaxNode = ParserType.SyntaxNode;

type ParserModule = typeof ParserType;

let parserModule: Promise<ParserModule> | undefined;
const languages = new Map<string, Promise<ParserType.Language>>();

async function loadParser(): Promise<ParserModule> {
  parserModule ??= (async () => {
    const mod = (await import('web-tree-sitter')) as unknown as { default: ParserModule };
    await mod.default.init();
    return mod.default;
  })();
  return parserModule;
}

/** Path of a grammar shipped by tree-sitter-wasms. */
export function grammarPath(grammar: string): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('tree-sitter-wasms/package.json')), 'out', `tree-sitter-${grammar}.wasm`);
}

/** Parses `text` with the language's grammar and hands the root node to `read`; the tree is freed afterwards. */
export async function withSyntaxTree<T>(language: Language, text: string, read: (root: SyntaxNode) => T): Promise<T> {
  const Parser = await loadParser();
  let lang = languages.get(language.grammar);
  if (!lang) languages.set(language.grammar, (lang = Parser.Language.load(grammarPath(language.grammar))));
  const parser = new Parser();
  try {
    parser.setLanguage(await lang);
    const tree = parser.parse(text);
    try {
      return read(tree.rootNode);
    } finally {
      tree.delete();
    }
  } finally {
    parser.delete();
  }
}
