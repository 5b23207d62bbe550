/**
 * Reads Gemini CLI's `--output-format json` document (`{ session_id, response, stats, error }`). The
 * document of a failed run goes to stderr, and the exit code is then the HTTP status mod 256 (401 → 145).
 */
import { AgentError, type AgentUsage } from './agent-backend.js';
import { categoryForStatus, classifyAgentMessage, errorText, resetTimeIn } from './agent-errors.js';
import { exitFailure, plainOutput, summaryFromStdout, type OutputParser } from './command-agent.js';
import type { ErrorCategory, Json } from '../store/records.js';

interface GeminiDoc {
  session_id?: unknown;
  response?: unknown;
  stats?: { models?: Record<string, { tokens?: Record<string, unknown> }> };
  error?: { type?: unknown; message?: unknown; code?: unknown } | null;
}

/** Gemini CLI's own exit codes (packages/core/src/utils/exitCodes.ts). */
const EXIT_CATEGORIES: Record<number, ErrorCategory> = { 41: 'auth', 42: 'validation', 52: 'validation', 55: 'permission', 130: 'cancelled' };

/** The category an exit code stands for: Gemini CLI's own codes, or an HTTP status mod 256 (401 → 145). */
function exitCategory(code: number | null): ErrorCategory | undefined {
  if (code === null || code === 0) return undefined;
  const own = EXIT_CATEGORIES[code];
  if (own) return own;
  const status = code + 256;
  return status >= 400 && status <= 599 ? categoryForStatus(status) : undefined;
}

/** The last pretty-printed JSON document in `text` that looks like Gemini CLI's output. */
export function lastGeminiDoc(text: string): GeminiDoc | undefined {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i]!.trimEnd() !== '{') continue;
    const end = lines.findIndex((l, j) => j > i && l.trimEnd() === '}');
    if (end < 0) continue;
    try {
      const doc = JSON.parse(lines.slice(i, end + 1).join('\n')) as unknown;
      if (doc && typeof doc === 'object' && ('response' in doc || 'error' in doc || 'session_id' in doc)) return doc as GeminiDoc;
    } catch {
      // Not a document: keep looking further up.
    }
  }
  return undefined;
}

function usageOf(doc: GeminiDoc): AgentUsage {
  const usage: AgentUsage = {};
  const models = Object.entries(doc.stats?.models ?? {});
  const sum = (key: string) => models.reduce((n, [, m]) => n + (typeof m.tokens?.[key] === 'number' ? (m.tokens[key] as number) : 0), 0);
  if (models.length > 0) {
    usage.inputTokens = sum('prompt');
    usage.outputTokens = sum('candidates') + sum('thoughts');
    usage.cachedInputTokens = sum('cached');
    usage.model = models.map(([name]) => name).join(', ');
  }
  if (typeof doc.session_id === 'string') usage.sessionId = doc.session_id;
  return usage;
}

/** The Gemini CLI reader (stdout lines are kept; stderr is read from the process's output tail). */
export function geminiOutput(): OutputParser {
  const lines: string[] = [];
  let size = 0;
  return {
    line(line) {
      // The document is small; the bound only guards against a runaway process.
      if (size < 4 * 1024 * 1024) lines.push(line);
      size += line.length;
    },
    finish(outcome) {
      const doc = lastGeminiDoc(lines.join('\n')) ?? lastGeminiDoc(outcome.tail);
      if (!doc) {
        const known = exitCategory(outcome.code);
        if (known) throw new AgentError(known, `gemini exited with code ${outcome.code}`, { output: outcome.tail });
        return plainOutput().finish(outcome);
      }
      const usage = usageOf(doc);
      const data: { [key: string]: Json } = usage.sessionId ? { sessionId: usage.sessionId } : {};
      const err = doc.error;
      if (err && typeof err === 'object') {
        const message = typeof err.message === 'string' ? err.message : 'no details';
        const code = typeof err.code === 'number' ? err.code : undefined;
        const category =
          (code !== undefined && code >= 400 ? categoryForStatus(code) : undefined) ??
          (code !== undefined ? EXIT_CATEGORIES[code] : undefined) ??
          classifyAgentMessage(message);
        const pausedUntil = category === 'rate_limit' ? resetTimeIn(message) : undefined;
        throw new AgentError(category, `gemini reported an error: ${errorText(message)}`, { output: outcome.tail, data, usage, ...(pausedUntil ? { pausedUntil } : {}) });
      }
      const failure = exitFailure(outcome);
      if (failure) {
        const category = exitCategory(outcome.code) ?? failure.category;
        throw new AgentError(category, failure.message, { output: outcome.tail, data, usage });
      }
      const response = typeof doc.response === 'string' ? doc.response : '';
      return { summary: summaryFromStdout(response), output: outcome.tail, data, usage };
    },
  };
}
