/** Parsing and formatting of effort estimates (`30m`, `2h`, `1d` = 8h, `1h30m`). */

const UNIT_MINUTES: Readonly<Record<string, number>> = {
  m: 1, min: 1, mins: 1, minute: 1, minutes: 1,
  h: 60, hr: 60, hrs: 60, hour: 60, hours: 60,
  d: 480, day: 480, days: 480,
  w: 2400, wk: 2400, week: 2400, weeks: 2400,
};

const PART = /(\d+(?:\.\d+)?)\s*([a-z]+)/gy;

/** Minutes for an estimate like `90m`, `1.5h`, `2 days` or `1h 30m`; undefined when it is not one. */
export function parseEstimate(text: string): number | undefined {
  const s = text.trim().toLowerCase();
  if (s === '') return undefined;
  let total = 0;
  let pos = 0;
  PART.lastIndex = 0;
  while (pos < s.length) {
    while (s[pos] === ' ') pos++;
    if (pos >= s.length) break;
    PART.lastIndex = pos;
    const m = PART.exec(s);
    if (!m) return undefined;
    const unit = UNIT_MINUTES[m[2]!];
    if (unit === undefined) return undefined;
    total += Number(m[1]) * unit;
    pos = PART.lastIndex;
  }
  return total;
}

/** Human-readable duration: `45m`, `2h`, `1d 2h 30m` (days of 8 working hours). */
export function formatMinutes(minutes: number): string {
  const total = Math.round(minutes);
  if (total < 60) return `${total}m`;
  const d = Math.floor(total / 480);
  const h = Math.floor((total % 480) / 60);
  const m = total % 60;
  return [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : ''].filter(Boolean).join(' ');
}
