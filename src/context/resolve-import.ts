/** Turns an import specifier into a repository path, for relative imports (and Python's dotted modules). */

import { posix } from 'node:path';

const CANDIDATE_SUFFIXES = ['', '.ts', '.tsx', '.mts', '.js', '.jsx', '.mjs', '.cjs', '.py', '/index.ts', '/index.tsx', '/index.js', '/__init__.py'];

/**
 * The file `specifier` (written in `from`) names, among `files`; undefined for packages and
 * anything that does not resolve. `./x.js` finds `x.ts` (TypeScript's NodeNext convention).
 */
export function resolveImport(from: string, specifier: string, files: ReadonlySet<string>): string | undefined {
  const dir = posix.dirname(from);
  let base: string;
  if (specifier.startsWith('./') || specifier.startsWith('../')) base = posix.normalize(posix.join(dir, specifier));
  else if (from.endsWith('.py') && /^\.+\w/.test(specifier)) {
    // Python relative: `.models` is a sibling, `..core.x` one level up.
    const dots = /^\.+/.exec(specifier)![0].length;
    let up = dir;
    for (let i = 1; i < dots; i++) up = posix.dirname(up);
    base = posix.join(up, specifier.slice(dots).replace(/\./g, '/'));
  } else if (from.endsWith('.py') && /^\w+(\.\w+)*$/.test(specifier)) base = specifier.replace(/\./g, '/');
  else return undefined;
  if (base.startsWith('../')) return undefined;
  const stripped = base.replace(/\.(js|jsx|mjs|cjs)$/, '');
  for (const stem of stripped === base ? [base] : [base, stripped]) {
    for (const suffix of CANDIDATE_SUFFIXES) {
      const candidate = stem + suffix;
      if (files.has(candidate)) return candidate;
    }
  }
  return undefined;
}
