/**
 * Reads aider's plain output. Aider exits 0 even when every call to the model failed, so an API error it
 * printed (litellm's exception names, its own "API provider" notices) fails the attempt unless it applied edits.
 */
import { AgentError, type AgentUsage } from './agent-backend.js';
import { classifyAgentMessage, errorText, resetTimeIn } from './agent-errors.js';
import { exitFailure, summaryFromStdout, type OutputParser } from './command-agent.js';
import type { ErrorCategory } from '../store/records.js';

/** litellm exception names aider prints, by category. */
const LITELLM_CATEGORIES: Record<string, ErrorCategory> = {
  AuthenticationError: 'auth',
  PermissionDeniedError: 'auth',
  BudgetExceededError: 'quota',
  RateLimitError: 'rate_limit',
  InternalServerError: 'server',
  ServiceUnavailableError: 'server',
  APIError: 'server',
  APIConnectionError: 'network',
  Timeout: 'timeout',
  NotFoundError: 'validation',
  BadRequestError: 'validation',
  UnprocessableEntityError: 'validation',
  ContextWindowExceededError: 'agent',
  ContentPolicyViolationError: 'agent',
};

/** Aider's own notices that stand for an API failure. */
const NOTICES: [RegExp, ErrorCategory][] = [
  [/The API provider is not able to authenticate you/i, 'auth'],
  [/The API provider has rate limited you/i, 'rate_limit'],
  [/insufficient_quota|exceeded your current quota|credit balance is too low/i, 'quota'],
  [/The API provider's servers are down or overloaded/i, 'server'],
  [/Unable to reach the API provider|There is a problem connecting to the API provider/i, 'network'],
];

const SIZE = /([\d.]+)\s*([kKmM]?)/;
const count = (text: string | undefined) => {
  const m = text ? SIZE.exec(text) : null;
  if (!m) return 0;
  const scale = m[2]?.toLowerCase() === 'k' ? 1e3 : m[2]?.toLowerCase() === 'm' ? 1e6 : 1;
  return Math.round(Number(m[1]) * scale);
};

/** Token and cost lines ("Tokens: 2.3k sent, 1.1k cache hit, 150 received. Cost: $0.01 message, $0.03 session."). */
export function aiderUsage(text: string): AgentUsage | undefined {
  let sent = 0;
  let received = 0;
  let cached = 0;
  let cost: number | undefined;
  let found = false;
  for (const m of text.matchAll(/^Tokens: (.+)$/gm)) {
    found = true;
    const line = m[1]!;
    sent += count(/([\d.]+[kKmM]?) sent/.exec(line)?.[1]);
    received += count(/([\d.]+[kKmM]?) received/.exec(line)?.[1]);
    cached += count(/([\d.]+[kKmM]?) cache hit/.exec(line)?.[1]);
    const session = /\$([\d.]+) session/.exec(line);
    if (session) cost = Number(session[1]);
  }
  if (!found) return undefined;
  return { inputTokens: sent + cached, outputTokens: received, cachedInputTokens: cached, ...(cost !== undefined ? { costUsd: cost } : {}) };
}

/** The category and line of the last API error aider printed, if any. */
export function aiderApiError(text: string): { category: ErrorCategory; line: string } | undefined {
  let last: { category: ErrorCategory; line: string; at: number } | undefined;
  for (const m of text.matchAll(/litellm\.(\w+):[^\n]*/g)) {
    const category = LITELLM_CATEGORIES[m[1]!] ?? classifyAgentMessage(m[0]);
    if (!last || m.index >= last.at) last = { category, line: m[0], at: m.index };
  }
  for (const [re, category] of NOTICES) {
    const global = new RegExp(re.source, 'gi');
    for (const m of text.matchAll(global)) {
      const lineEnd = text.indexOf('\n', m.index);
      const line = text.slice(text.lastIndexOf('\n', m.index) + 1, lineEnd < 0 ? undefined : lineEnd);
      // The litellm exception line says more; a notice only decides when there is none.
      if (!last) last = { category, line, at: m.index };
    }
  }
  return last ? { category: last.category, line: last.line.trim() } : undefined;
}

/** The aider reader. */
export function aiderOutput(): OutputParser {
  return {
    line: () => undefined,
    finish(outcome) {
      const text = outcome.tail;
      const usage = aiderUsage(text);
      const extra = usage ? { usage } : {};
      const failure = exitFailure(outcome);
      if (failure) throw new AgentError(failure.category, failure.message, { output: text, ...extra });
      const applied = /^Applied edit to /m.test(text);
      const api = applied ? undefined : aiderApiError(text);
      if (api) {
        const pausedUntil = api.category === 'rate_limit' ? resetTimeIn(api.line) : undefined;
        throw new AgentError(api.category, `aider reported an API error: ${errorText(api.line)}`, { output: text, ...extra, ...(pausedUntil ? { pausedUntil } : {}) });
      }
      return { summary: summaryFromStdout(outcome.stdoutTail), output: text, ...extra };
    },
  };
}
