/** Server limits shared by `weft serve` (its help text) and the server; no dependencies, so the CLI loads it cheaply. */

/**
 * Requests per minute per client address when nothing says otherwise: 100 a second, room for the
 * dashboard (a run view, its task table pages and details, the event stream) plus a few scripts on
 * the same machine (they share the loopback address), while a token guesser stays slow.
 */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 6000;
