/** Reads Claude Code's `-p --output-format stream-json --verbose` events: the `result` event decides. */
import { AgentError, type AgentUsage } from './agent-backend.js';
import { parseJsonEvent } from './json-event.js';
import { categoryForStatus, classifyAgentMessage, errorText, resetTimeIn, toMs } from './agent-errors.js';
import { exitFailure, plainOutput, type OutputParser } from './command-agent.js';
import type { ErrorCategory, Json } from '../store/records.js';

type Event = Record<string, unknown>;

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/** One denied tool call, as weft reports it to the next attempt. */
export interface PermissionDenial {
  tool: string;
  /** The file, command or URL the tool was to act on. */
  target?: string;
}

/** The denied tool calls of a result event's `permission_denials`. */
export function permissionDenials(value: unknown): PermissionDenial[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((d: unknown) => {
    if (!d || typeof d !== 'object') return [];
    const { tool_name, tool_input } = d as { tool_name?: unknown; tool_input?: Record<string, unknown> };
    const input = tool_input && typeof tool_input === 'object' ? tool_input : {};
    const target = str(input.file_path) ?? str(input.path) ?? str(input.notebook_path) ?? str(input.command) ?? str(input.url) ?? str(input.pattern);
    return [{ tool: typeof tool_name === 'string' ? tool_name : 'unknown tool', ...(target ? { target: target.slice(0, 300) } : {}) }];
  });
}

/** Usage of a result event (input tokens include cache reads and writes). */
function usageOf(result: Event, model: string | undefined): AgentUsage {
  const u = (result.usage ?? {}) as Record<string, unknown>;
  const fresh = num(u.input_tokens);
  const cacheRead = num(u.cache_read_input_tokens);
  const cacheWrite = num(u.cache_creation_input_tokens);
  const usage: AgentUsage = {};
  if (fresh !== undefined || cacheRead !== undefined || cacheWrite !== undefined) usage.inputTokens = (fresh ?? 0) + (cacheRead ?? 0) + (cacheWrite ?? 0);
  if (num(u.output_tokens) !== undefined) usage.outputTokens = num(u.output_tokens);
  if (cacheRead !== undefined) usage.cachedInputTokens = cacheRead;
  if (num(result.total_cost_usd) !== undefined) usage.costUsd = num(result.total_cost_usd);
  if (num(result.num_turns) !== undefined) usage.turns = num(result.num_turns);
  const models = result.modelUsage && typeof result.modelUsage === 'object' ? Object.keys(result.modelUsage) : [];
  const name = model ?? models[0];
  if (name) usage.model = name.replace(/\[1m\]$/, '');
  if (str(result.session_id)) usage.sessionId = str(result.session_id);
  return usage;
}

/** The category of an `is_error` result: the API status first, then the subtype, then the text. */
function resultCategory(result: Event, text: string): ErrorCategory {
  const status = num(result.api_error_status);
  const byStatus = status === undefined ? undefined : categoryForStatus(status);
  if (byStatus) return byStatus;
  const subtype = str(result.subtype) ?? '';
  if (subtype === 'error_max_budget_usd') return 'budget';
  return classifyAgentMessage(text || subtype);
}

/** The stream-json reader; the result's usage lands on the attempt, failures become AgentErrors with the right category. */
export function claudeOutput(): OutputParser {
  let result: Event | undefined;
  let model: string | undefined;
  let limitResetsAt: number | undefined;
  return {
    line(line) {
      const event = parseJsonEvent<Event>(line);
      if (!event) return;
      if (event.type === 'result') result = event;
      else if (event.type === 'system' && event.subtype === 'init') model = str(event.model);
      else if (event.type === 'rate_limit_event') {
        const info = (event.rate_limit_info ?? {}) as Record<string, unknown>;
        const resetsAt = num(info.resetsAt);
        if (info.status === 'rejected' && resetsAt !== undefined) limitResetsAt = toMs(resetsAt);
      }
    },
    finish(outcome) {
      // Without a result event (an older CLI, or a custom command named claude) the exit code decides.
      if (!result) return plainOutput().finish(outcome);
      const usage = usageOf(result, model);
      const data: { [key: string]: Json } = {};
      if (usage.costUsd !== undefined) data.costUsd = usage.costUsd;
      if (usage.turns !== undefined) data.turns = usage.turns;
      if (num(result.duration_ms) !== undefined) data.durationMs = num(result.duration_ms)!;
      if (usage.sessionId) data.sessionId = usage.sessionId;
      const denials = permissionDenials(result.permission_denials);
      if (denials.length > 0) data.permissionDenials = denials.map((d) => ({ ...d }));
      const text = typeof result.result === 'string' ? result.result : '';
      const subtype = str(result.subtype) ?? '';
      if (result.is_error === true || subtype.startsWith('error')) {
        const why = text || subtype || 'no details';
        const category = resultCategory(result, why);
        const pausedUntil = limitResetsAt ?? (category === 'rate_limit' ? resetTimeIn(why) : undefined);
        throw new AgentError(category, `claude reported an error: ${errorText(why)}`, { output: outcome.tail, data, usage, ...(pausedUntil ? { pausedUntil } : {}) });
      }
      const failure = exitFailure(outcome);
      if (failure) throw new AgentError(failure.category, failure.message, { output: outcome.tail, data, usage });
      return { summary: text || undefined, output: outcome.tail, data, usage };
    },
  };
}

/**
 * An attempt that changed nothing because the agent's tool calls were denied fails as `permission`, with
 * the denied tools and their targets in the message (which the retry's prompt carries). Other errors pass.
 */
export function deniedInstead(err: unknown, result: { data?: { [key: string]: Json } } | undefined): unknown {
  const denials = result?.data?.permissionDenials;
  if (!(err instanceof AgentError) || !Array.isArray(denials) || denials.length === 0) return err;
  if (err.data?.noChanges !== true) return err;
  const list = permissionDenials(denials.map((d) => (d && typeof d === 'object' && !Array.isArray(d) ? { tool_name: d.tool, tool_input: { path: d.target } } : d)));
  const named = list.map((d) => (d.target ? `${d.tool} (${d.target})` : d.tool)).join(', ');
  return new AgentError('permission', `agent made no changes: these tool calls were denied: ${named}. Edit files inside the worktree with the file-editing tools instead`, {
    output: err.output,
    data: { ...(result?.data ?? {}), noChanges: true },
  });
}
