/**
 * The one redaction module: every secret value weft knows (its environment and config secrets) and
 * common token shapes are replaced by `[redacted]` wherever agent output (or anything else that may
 * carry a secret) leaves weft: logs, the store, prompts, SSE, API responses, CLI output. Pure.
 */

/** What replaces a secret. */
export const REDACTED = '[redacted]';

/** Environment variables that are always weft's own secrets, whatever their names look like. */
export const WEFT_SECRET_VARS = ['WEFT_API_TOKEN', 'WEFT_WEBHOOK_SECRET', 'GITHUB_TOKEN', 'GH_TOKEN', 'CODEGEN_API_KEY', 'CODEGEN_TOKEN'] as const;

/** Names of environment variables whose values are treated as secrets. */
const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|AUTH|COOKIE|SESSION_?KEY|_PAT$|_KEY$)/i;

/** Values shorter than this are not secrets worth searching for ("1", "true", a short word would match everywhere). */
const MIN_SECRET_LENGTH = 8;

/**
 * Token shapes redacted even when weft does not know the value: GitHub tokens, OpenAI/Anthropic-style
 * `sk-` keys, Slack `xox?-` tokens, AWS access key ids, Google API keys, JWTs, bearer/basic headers,
 * and the password in a URL's user info. A `(?<keepN>…)` group is kept (the header's scheme, the URL's
 * start). Every part that can repeat is bounded or anchored, so a 100 MB line costs linear time.
 */
const TOKEN_SHAPES: readonly string[] = [
  String.raw`\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}`,
  String.raw`\bgithub_pat_[A-Za-z0-9_]{20,}`,
  String.raw`\bsk-[A-Za-z0-9_-]{16,}`,
  String.raw`\bxox[abprs]-[A-Za-z0-9-]{10,}`,
  String.raw`\bAKIA[0-9A-Z]{16}\b`,
  String.raw`\bAIza[0-9A-Za-z_-]{35}`,
  String.raw`\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}`,
  // (a credential has a digit or `=` in it: "bearer authentication" is prose)
  String.raw`(?<keep1>\b(?:[Bb]earer|BEARER|[Bb]asic|BASIC|[Aa]uthorization:[ \t]{0,8}[Tt]oken)[ \t]{1,8})(?=[A-Za-z._~+/-]{0,200}[0-9=])[A-Za-z0-9._~+/=-]{8,}`,
  // scheme://user:PASSWORD@host
  String.raw`(?<keep2>\b[a-zA-Z][\w+.-]{0,30}://[^\s:/@"'<>]{0,200}:)[^\s@/"'<>]{3,200}(?=@)`,
];

/** Replaces secrets in text. */
export interface Redactor {
  /** The text with every known secret value and token shape replaced by `[redacted]`. */
  (text: string): string;
  /** Deep copy of a JSON-like value with every string redacted (keys stay). */
  json<T>(value: T): T;
  /** The longest secret value known (a stream holds back this much so a secret split across chunks is still found). */
  readonly longest: number;
  /** `at`, or an earlier index when a secret in `text` spans it (cutting there would split the secret). */
  safeCut(text: string, at: number): number;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A redactor for these secret values (short ones ignored) plus the common token shapes. */
export function createRedactor(secrets: Iterable<string> = []): Redactor {
  const values = [...new Set([...secrets].map((s) => s.trim()).filter((s) => s.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
  // One alternation, longest value first, so a secret containing another is replaced whole.
  const pattern = new RegExp([...values.map(escape), ...TOKEN_SHAPES].join('|'), 'g');
  const replace = (...args: unknown[]): string => {
    const groups = args[args.length - 1] as Record<string, string | undefined>;
    return (groups.keep1 ?? groups.keep2 ?? '') + REDACTED;
  };
  const redact = ((text: string) => (typeof text === 'string' && text.length > 0 ? text.replace(pattern, replace) : text)) as Redactor;
  const json = <T>(value: T): T => redactValue(value, redact) as T;
  Object.defineProperty(redact, 'json', { value: json });
  const longest = Math.max(64, ...values.map((v) => v.length));
  Object.defineProperty(redact, 'longest', { value: longest });
  const safeCut = (text: string, at: number): number => {
    const from = Math.max(0, at - longest * 2);
    const window = text.slice(from, Math.min(text.length, at + longest * 2));
    for (const m of window.matchAll(pattern)) {
      const start = from + m.index;
      if (start < at && start + m[0].length > at) return start;
    }
    return at;
  };
  Object.defineProperty(redact, 'safeCut', { value: safeCut });
  return redact;
}

function redactValue(value: unknown, redact: (s: string) => string): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, redact));
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, redact)]));
  }
  return value;
}

/** Whether an environment variable's name says its value is a secret. */
export function isSecretName(name: string): boolean {
  return (WEFT_SECRET_VARS as readonly string[]).includes(name) || SECRET_NAME.test(name);
}

/**
 * The secret values in an environment: weft's own secrets, the variables `extraNames` names (config
 * `server.tokens` entries), every variable with a secret-looking name, and URL passwords (WEFT_DB=postgres://u:p@…).
 */
export function secretValues(env: Readonly<Record<string, string | undefined>>, extraNames: Iterable<string> = []): string[] {
  const extra = new Set(extraNames);
  const out: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if (extra.has(name) || isSecretName(name)) out.push(value);
    const password = urlPassword(value);
    if (password) out.push(decodeURIComponentSafe(password), password);
  }
  return out;
}

/** The password in `scheme://user:password@host…`, if any. */
export function urlPassword(value: string): string | undefined {
  return /^[a-zA-Z][\w+.-]*:\/\/[^\s:/@]*:([^\s@/]+)@/.exec(value)?.[1];
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** A URL with its password (or whole user info when it cannot be parsed) replaced, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    else if (u.username && /^[a-z]+s?:$/.test(u.protocol) && u.protocol.startsWith('http')) u.username = '***';
    return u.toString();
  } catch {
    return url.replace(/^(\w[\w+.-]*:\/\/)[^@/]+@/, '$1***@').replace(/\/\/[^@/]*@/, '//***@');
  }
}

/**
 * Redacts a stream of chunks: complete text is passed on at once, but the last `redactor.longest`
 * characters are held back (a secret may be split across chunks) until more arrives or `end()`.
 */
export class RedactingStream {
  #pending = '';
  constructor(
    private readonly redact: Redactor,
    private readonly write: (text: string) => void,
  ) {}

  /** Takes a chunk; writes what can no longer be part of a secret. */
  push(chunk: string): void {
    this.#pending += chunk;
    const hold = this.redact.longest;
    // Cut at a newline when there is one (the usual case): secrets and tokens never span lines.
    let cut = this.#pending.lastIndexOf('\n') + 1;
    if (cut === 0 || this.#pending.length - cut > hold * 4) {
      if (this.#pending.length <= hold * 2) return;
      // One long line: pass all but the held tail, cut at whitespace when possible.
      cut = this.#pending.length - hold;
      const space = this.#pending.lastIndexOf(' ', cut);
      if (space > cut - hold) cut = space + 1;
      cut = this.redact.safeCut(this.#pending, cut);
    }
    const out = this.#pending.slice(0, cut);
    this.#pending = this.#pending.slice(cut);
    if (out) this.write(this.redact(out));
  }

  /** Writes what is held back. */
  end(): void {
    if (this.#pending) this.write(this.redact(this.#pending));
    this.#pending = '';
  }
}
