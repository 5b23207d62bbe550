/** Finding the names a mistyped one was probably meant to be (for "did you mean" hints). */

/** Up to `limit` ids that look like a typo of `wanted`, closest first. */
export function closeIds(wanted: string, ids: readonly string[], limit = 3): string[] {
  const w = wanted.toLowerCase();
  const maxDistance = Math.max(1, Math.floor(w.length / 3));
  const scored: Array<{ id: string; score: number }> = [];
  for (const id of ids) {
    const lower = id.toLowerCase();
    // Case-only differences and substrings (T-1 vs task T-10) are likely the same intent.
    const score = lower === w ? 0 : lower.includes(w) || w.includes(lower) ? 1 : editDistance(w, lower, maxDistance);
    if (score <= maxDistance) scored.push({ id, score });
  }
  scored.sort((a, b) => a.score - b.score || a.id.localeCompare(b.id));
  return scored.slice(0, limit).map((s) => s.id);
}

/** Edit distance counting a swap of neighbours as one edit (typos), giving up (max + 1) once it must exceed `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, before[j - 2]! + 1);
      cur.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > max) return max + 1;
    before = prev;
    prev = cur;
  }
  return prev[b.length]!;
}
