/** The audit log: every mutating call (who, what, when, outcome) is appended to the store after it is answered. */
import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/store.js';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const SECRET_KEY = /token|secret|password|passwd|authorization|api[-_]?key|credential/i;
const MAX_STRING = 120;
const MAX_SUMMARY = 1000;

/**
 * A short, redacted JSON summary of a request body: long strings become `<N chars>` (a requirements
 * document is not copied into the log), and values under secret-looking keys become `<redacted>`.
 */
export function summarizeBody(body: unknown): string | null {
  if (body === undefined || body === null || body === '') return null;
  // A raw body (the GitHub webhook keeps its bytes for the signature) is only measured.
  if (Buffer.isBuffer(body)) return `<${body.length} bytes>`;
  const shrink = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return value.length > MAX_STRING ? `<${value.length} chars>` : value;
    if (Array.isArray(value)) return depth > 3 ? `<${value.length} items>` : value.slice(0, 20).map((v) => shrink(v, depth + 1));
    if (value && typeof value === 'object') {
      if (depth > 3) return '<object>';
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, SECRET_KEY.test(k) ? '<redacted>' : shrink(v, depth + 1)]),
      );
    }
    return value;
  };
  const text = JSON.stringify(shrink(body, 0)) ?? null;
  return text !== null && text.length > MAX_SUMMARY ? `${text.slice(0, MAX_SUMMARY)}…` : text;
}

/**
 * Records mutating calls, refused ones included (a refused call is worth knowing about). It is written
 * before the answer is sent, so a client that got its answer can already find the entry.
 */
export function installAudit(app: FastifyInstance, store: Store): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (!MUTATING.has(request.method)) return payload;
    try {
      await store.appendAudit({
        at: Date.now(),
        actor: request.actor || 'anonymous',
        method: request.method,
        path: request.url.length > 1000 ? request.url.slice(0, 1000) : request.url,
        status: reply.statusCode,
        body: summarizeBody(request.body),
      });
    } catch (err) {
      request.log.error({ err }, 'could not write the audit log');
    }
    return payload;
  });
}
