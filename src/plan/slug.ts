/** Id slugs for requirement titles: `Customer accounts` -> `customer-accounts`. */
export function slugify(text: string): string {
  // Only non-ASCII text needs accents folded; skipping normalize() keeps 100k-title documents fast.
  const folded = NON_ASCII.test(text) ? text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '') : text;
  const s = folded.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) === 45) start++;
  while (end > start && s.charCodeAt(end - 1) === 45) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

const NON_ASCII = /[\u0080-\uffff]/;
