/** Reads `codex exec --json` (one event per line): `turn.failed` decides failure, `turn.completed` carries tokens. */
import { AgentError, type AgentUsage } from './agent-backend.js';
import { parseJsonEvent } from './json-event.js';
import { classifyAgentMessage, errorText, resetTimeIn } from './agent-errors.js';
import { exitFailure, plainOutput, summaryFromStdout, type OutputParser } from './command-agent.js';
import type { Json } from '../store/records.js';

type Event = { type?: unknown; [key: string]: unknown };

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** The codex event reader. */
export function codexOutput(): OutputParser {
  let seen = false;
  let threadId: string | undefined;
  let failed: string | undefined;
  let lastError: string | undefined;
  let lastMessage: string | undefined;
  const tokens = { input: 0, cached: 0, output: 0, turns: 0 };
  return {
    line(line) {
      const event = parseJsonEvent<Event>(line);
      if (!event) return;
      seen = true;
      if (event.type === 'thread.started' && typeof event.thread_id === 'string') threadId = event.thread_id;
      else if (event.type === 'turn.completed') {
        const u = (event.usage ?? {}) as Record<string, unknown>;
        tokens.input += num(u.input_tokens);
        tokens.cached += num(u.cached_input_tokens);
        tokens.output += num(u.output_tokens);
        tokens.turns += 1;
      } else if (event.type === 'turn.failed') {
        const e = (event.error ?? {}) as { message?: unknown };
        failed = typeof e.message === 'string' ? e.message : 'turn failed';
      } else if (event.type === 'error' && typeof event.message === 'string') {
        // "Reconnecting... 2/5" notices come as errors too; only the last one can explain a failure.
        lastError = event.message;
      } else if (event.type === 'item.completed') {
        const item = (event.item ?? {}) as { type?: unknown; text?: unknown };
        if (item.type === 'agent_message' && typeof item.text === 'string') lastMessage = item.text;
      }
    },
    finish(outcome) {
      if (!seen) return plainOutput().finish(outcome);
      const usage: AgentUsage = {};
      if (tokens.turns > 0) Object.assign(usage, { inputTokens: tokens.input, outputTokens: tokens.output, cachedInputTokens: tokens.cached, turns: tokens.turns });
      if (threadId) usage.sessionId = threadId;
      const data: { [key: string]: Json } = threadId ? { sessionId: threadId } : {};
      const why = failed ?? (outcome.code !== 0 ? lastError : undefined);
      if (why) {
        const category = classifyAgentMessage(why);
        const pausedUntil = category === 'rate_limit' ? resetTimeIn(why) : undefined;
        throw new AgentError(category, `codex reported an error: ${errorText(why)}`, { output: outcome.tail, data, usage, ...(pausedUntil ? { pausedUntil } : {}) });
      }
      const failure = exitFailure(outcome);
      if (failure) throw new AgentError(failure.category, failure.message, { output: outcome.tail, data, usage });
      return { summary: lastMessage ? summaryFromStdout(lastMessage) : undefined, output: outcome.tail, data, usage };
    },
  };
}
