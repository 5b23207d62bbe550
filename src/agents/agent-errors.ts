/** How CLI agents' own error reports map onto weft's error categories, and when a usage limit resets. */
import type { ErrorCategory } from '../store/records.js';

/** The category of a provider's HTTP status: bad keys fail fast, spent credit fails fast, limits wait, 5xx retries. */
export function categoryForStatus(status: number): ErrorCategory | undefined {
  if (status === 401 || status === 403) return 'auth';
  if (status === 402) return 'quota';
  if (status === 429 || status === 529) return 'rate_limit';
  if (status === 408) return 'timeout';
  if (status >= 500 && status <= 599) return 'server';
  return undefined;
}

/** An HTTP status named in an agent's error text ("unexpected status 401", "API Error: 500", `"code":429`). */
export function statusInText(text: string): number | undefined {
  const m =
    /\b(?:status(?: code)?|API Error)[:\s]+(\d{3})\b/i.exec(text) ??
    /"(?:code|status)"\s*:\s*(\d{3})\b/.exec(text) ??
    /\((\d{3})\)/.exec(text) ??
    /\b(\d{3}) (?:Unauthorized|Forbidden|Payment Required|Too Many Requests|Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout)\b/i.exec(text);
  const status = m ? Number(m[1]) : NaN;
  return status >= 400 && status <= 599 ? status : undefined;
}

/** Guesses the category of an agent's own error text: login problems and spent credit fail fast, limits wait, outages retry. */
export function classifyAgentMessage(text: string): ErrorCategory {
  if (/credit balance|insufficient (credit|quota|funds)|billing|quota exceeded|exceeded your current quota|out of credits/i.test(text)) return 'quota';
  if (/invalid (api|x-api)[ -]?key|\/login|not (logged|signed) in|unauthori[sz]ed|authentication|UNAUTHENTICATED|PERMISSION_DENIED|incorrect api key/i.test(text)) return 'auth';
  if (/usage limit|limit reached|rate.?limit|too many requests|RESOURCE_EXHAUSTED|overloaded/i.test(text)) return 'rate_limit';
  const status = statusInText(text);
  const byStatus = status === undefined ? undefined : categoryForStatus(status);
  if (byStatus) return byStatus;
  if (/high demand|server.?side|internal server error|service unavailable|bad gateway|malformed response|empty or malformed|stream disconnected|server_error|\bINTERNAL\b|\bUNAVAILABLE\b/i.test(text)) return 'server';
  if (/fetch failed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|socket hang up|connection (refused|reset|error)|error sending request|network/i.test(text)) return 'network';
  return 'agent';
}

/**
 * When a usage limit named in an agent's text resets (epoch ms), if it says: Claude's
 * "…limit reached|1767225600", "resets at 2026-01-01T00:00:00Z", "resets 3pm" / "resets at 3:30pm (UTC)",
 * or codex's "try again in 2 hours" / "try again at 3:05 PM".
 */
export function resetTimeIn(text: string, now = Date.now()): number | undefined {
  if (!/limit|resets?|try again/i.test(text)) return undefined;
  const epoch = /limit reached\s*\|\s*(\d{10,13})\b/i.exec(text) ?? /resets?(?: at)?\s+(\d{10,13})\b/i.exec(text);
  if (epoch) return toMs(Number(epoch[1]));
  const iso = /resets?(?: at)?\s+(\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)/i.exec(text);
  if (iso) {
    const t = Date.parse(iso[1]!);
    if (!Number.isNaN(t)) return t;
  }
  const wait = /(?:try again|resets?) in (?:about )?([\d.]+)\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|h|days?|d)\b/i.exec(text);
  if (wait) {
    const unit = wait[2]!.toLowerCase()[0];
    const scale = unit === 's' ? 1000 : unit === 'm' ? 60_000 : unit === 'h' ? 3600_000 : 86_400_000;
    return now + Math.round(Number(wait[1]) * scale);
  }
  const clock = /(?:resets?|try again)(?: at)?\s+(\d{1,2})(?::(\d{2}))?\s*(am|pm)\b/i.exec(text);
  if (clock) {
    let hour = Number(clock[1]) % 12;
    if (clock[3]!.toLowerCase() === 'pm') hour += 12;
    const utc = /\(UTC\)|\bUTC\b/.test(text);
    const d = new Date(now);
    if (utc) d.setUTCHours(hour, Number(clock[2] ?? 0), 0, 0);
    else d.setHours(hour, Number(clock[2] ?? 0), 0, 0);
    // "resets 3pm" said after 3pm means tomorrow's 3pm.
    return d.getTime() <= now ? d.getTime() + 24 * 3600_000 : d.getTime();
  }
  return undefined;
}

/** Epoch seconds or milliseconds to milliseconds. */
export function toMs(epoch: number): number {
  return epoch < 1e12 ? epoch * 1000 : epoch;
}

/** Shortens an agent's error text for a message (the full text stays in the attempt's output). */
export function errorText(text: string): string {
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
