/** Schema pieces every route shares: the error body, timestamps, enums, and limits on request text. */
import { z } from 'zod';
import { ERROR_CODES } from '../../core/errors.js';

/** `{ "error": { "code", "message", "details" } }`, the body of every error response. */
export const errorBody = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string().describe('What went wrong; for bad input it names the field'),
    details: z.record(z.string(), z.unknown()).describe('Machine-readable facts (the offending fields, ids)'),
  }),
});

/** The error responses a route may give, for the OpenAPI document. */
export function errors(...statuses: (400 | 401 | 403 | 404 | 409 | 413 | 429)[]) {
  const all = new Set([...statuses, 401, 429] as const);
  return Object.fromEntries([...all].map((s) => [s, errorBody])) as Record<number, typeof errorBody>;
}

export const isoTime = z.string().describe('ISO 8601 time');
export const isoTimeOrNull = isoTime.nullable();

/** A run id as weft makes them (base-36 time + hex); anything else cannot name a run. */
export const runId = z.string().regex(/^[0-9a-z]{1,40}$/, { error: 'expected a run id (letters and digits)' });

/** Non-empty text with a length cap, so one request cannot store megabytes in a title. */
export const text = (max: number) => z.string().trim().min(1, { error: 'expected non-empty text' }).max(max, { error: `expected at most ${max} characters` });

/** An agent backend name: simulate, codegen, a preset or a configured agent (command lines are refused later). */
export const agentName = text(200).describe('simulate, codegen, a preset (claude, codex, aider, gemini, example) or an agent named in weft.config.yaml');

/** A whole number from a query string. */
export const queryInt = (min: number, max: number, fallback: number) =>
  z.coerce
    .number({ error: `expected a whole number from ${min} to ${max}` })
    .int({ error: `expected a whole number from ${min} to ${max}` })
    .min(min, { error: `expected a whole number from ${min} to ${max}` })
    .max(max, { error: `expected a whole number from ${min} to ${max}` })
    .default(fallback);

export const ok = z.object({ success: z.boolean() });
