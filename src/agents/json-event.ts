/** One line of an agent's JSONL event stream as an event; undefined for lines that are not JSON objects (warnings, progress from wrappers). */
export function parseJsonEvent<T>(line: string): T | undefined {
  const t = line.trim();
  if (!t.startsWith('{')) return undefined;
  try {
    return JSON.parse(t) as T;
  } catch {
    return undefined;
  }
}
