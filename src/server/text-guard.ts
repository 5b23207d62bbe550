/**
 * Refuses text that cannot be stored or shown as text (NUL characters, lone surrogates) anywhere in a
 * request, before any handler sees it: 400 naming the field. Postgres rejects NUL in text columns (a
 * 500 otherwise) and SQLite would store it as is; both stores get the same answer this way.
 */
import type { FastifyInstance } from 'fastify';
import { InputError } from '../core/errors.js';
import { findBadChar } from '../core/text-check.js';

/** The first bad string in `value` (keys included) as `where.path`, with what is wrong, or null. */
export function findBadText(value: unknown, where: string): { field: string; reason: string } | null {
  if (typeof value === 'string') {
    const bad = findBadChar(value);
    return bad ? { field: where, reason: bad.reason } : null;
  }
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const hit = findBadText(v, `${where}[${i}]`);
      if (hit) return hit;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const keyBad = findBadChar(k);
      if (keyBad) return { field: `${where} (a key)`, reason: keyBad.reason };
      const hit = findBadText(v, `${where}.${k}`);
      if (hit) return hit;
    }
  }
  return null;
}

/** Installs the check on every route: params, query and body. */
export function installTextGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    for (const [where, value] of [['params', request.params], ['query', request.query], ['body', request.body]] as const) {
      const bad = findBadText(value, where);
      if (bad) throw new InputError(`${bad.field}: ${bad.reason}`, { field: bad.field });
    }
    // What the parsers did not hand over as fields (a route's wildcard, a malformed query) is still checked.
    const url = findBadChar(decodeSafely(request.url));
    if (url) throw new InputError(`url: ${url.reason}`, { field: 'url' });
  });
}

function decodeSafely(url: string): string {
  try {
    return decodeURIComponent(url);
  } catch {
    return url;
  }
}
