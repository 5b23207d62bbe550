/**
 * Import specifiers of a source file by a textual scan: fast enough to run over a whole repository
 * (to find a file's importers) without parsing every file.
 */

const PATTERNS: readonly RegExp[] = [
  // import x from './y'; export { x } from './y'; import './y'
  /\b(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"\n]+)['"]/g,
  // require('./y'), import('./y')
  /\b(?:require|import)\s*\(\s*['"]([^'"\n]+)['"]\s*\)/g,
  // Python: from .models import X; import pkg.mod
  /^\s*from\s+([.\w]+)\s+import\b/gm,
  /^\s*import\s+([\w.]+)\s*$/gm,
  // Go: "github.com/x/y" inside import blocks is not resolvable to repository files; skipped.
];

/** The specifiers `text` imports, each once, in order of appearance. */
export function scanImports(text: string): string[] {
  const found = new Set<string>();
  for (const pattern of PATTERNS) {
    for (const match of text.matchAll(pattern)) if (match[1]) found.add(match[1]);
  }
  return [...found];
}
