/** The words of a task that relevance ranking matches against paths and definition names. */

const STOPWORDS: ReadonlySet<string> = new Set(
  'the and for with that this from into when then than them they their there have has had not but are was were will would should could can may must all any each use used using add adds make makes new one two get set via per its it our your you out off only also more most some such what which who how why where file files code test tests task work change changes support implement create update fix'.split(' '),
);

/** Lower-case words of 3+ letters, identifiers split (`userService` -> user, service), stopwords dropped. */
export function wordsOf(text: string): Set<string> {
  const words = new Set<string>();
  const split = text.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/);
  for (const w of split) if (w.length >= 3 && !STOPWORDS.has(w)) words.add(stem(w));
  return words;
}

/** Crude plural folding, so "products" matches "product". */
function stem(word: string): string {
  if (word.endsWith('ies') && word.length > 4) return word.slice(0, -3) + 'y';
  if (word.endsWith('s') && !word.endsWith('ss') && word.length > 3) return word.slice(0, -1);
  return word;
}

/** How many of `wanted` appear in `words`. */
export function overlap(wanted: ReadonlySet<string>, words: ReadonlySet<string>): number {
  let n = 0;
  for (const w of wanted) if (words.has(w)) n++;
  return n;
}
