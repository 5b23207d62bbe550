/** What agents consume (tokens, cost, turns): the per-attempt record and totals over attempts, tasks and runs. */

/** What one attempt consumed, as the agent reports it (every field optional: agents report different things). */
export interface AgentUsage {
  inputTokens?: number;
  outputTokens?: number;
  /** Prompt tokens served from the provider's cache (Anthropic cache_read, OpenAI cached_input). */
  cachedInputTokens?: number;
  /** Cost in US dollars, when the agent says (Claude Code's total_cost_usd). */
  costUsd?: number;
  turns?: number;
  model?: string;
  /** The agent's own session or run id (to resume or look up). */
  sessionId?: string;
}

/** The numeric fields of AgentUsage, in display order: the single list totals and columns follow. */
export const USAGE_NUMBERS = ['inputTokens', 'outputTokens', 'cachedInputTokens', 'costUsd', 'turns'] as const;
export type UsageNumber = (typeof USAGE_NUMBERS)[number];

/** Sums over many attempts. `attempts` counts the attempts that reported any usage. */
export interface UsageTotals {
  attempts: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  costUsd: number;
  turns: number;
}

/** Totals with nothing counted yet. */
export function emptyTotals(): UsageTotals {
  return { attempts: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, costUsd: 0, turns: 0 };
}

/**
 * Keeps only well-formed fields (finite non-negative numbers, non-empty strings); undefined when nothing
 * is left. Agents' parsers vary, and a NaN or negative cost must never reach a budget check.
 */
export function cleanUsage(usage: AgentUsage | null | undefined): AgentUsage | undefined {
  if (!usage || typeof usage !== 'object') return undefined;
  const out: AgentUsage = {};
  for (const k of USAGE_NUMBERS) {
    const v = usage[k];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) out[k] = v;
  }
  if (typeof usage.model === 'string' && usage.model) out.model = usage.model.slice(0, 200);
  if (typeof usage.sessionId === 'string' && usage.sessionId) out.sessionId = usage.sessionId.slice(0, 200);
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Adds one attempt's usage (or another total) into `into`; returns `into`. */
export function addUsage(into: UsageTotals, usage: AgentUsage | UsageTotals | null | undefined): UsageTotals {
  if (!usage) return into;
  const isTotals = 'attempts' in usage && typeof usage.attempts === 'number';
  let any = false;
  for (const k of USAGE_NUMBERS) {
    const v = usage[k];
    if (typeof v === 'number' && Number.isFinite(v)) {
      into[k] += v;
      any = true;
    }
  }
  if (isTotals) into.attempts += (usage as UsageTotals).attempts;
  else if (any || (usage as AgentUsage).model || (usage as AgentUsage).sessionId) into.attempts += 1;
  // Cents drift when many small floats are added; micro-dollars are plenty.
  into.costUsd = Math.round(into.costUsd * 1e6) / 1e6;
  return into;
}

/** Totals of many attempts' usage. */
export function sumUsage(usages: Iterable<AgentUsage | null | undefined>): UsageTotals {
  const t = emptyTotals();
  for (const u of usages) addUsage(t, u);
  return t;
}

/** US dollars for people: `$0.0421`, `$1.27`, `$120`. */
export function formatCost(usd: number): string {
  if (usd === 0) return '$0';
  if (usd < 0.01) return `$${usd.toFixed(4)}`;
  if (usd < 100) return `$${usd.toFixed(2)}`;
  return `$${Math.round(usd)}`;
}

/** Token counts for people: `850`, `12.3k`, `4.1M`. */
export function formatTokens(n: number): string {
  if (n < 1000) return String(Math.round(n));
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** One short line for a total or an attempt: `$0.42 · 12.3k in / 2.1k out · 14 turns`; '' when nothing is known. */
export function describeUsage(u: AgentUsage | UsageTotals | null | undefined): string {
  if (!u) return '';
  const parts: string[] = [];
  if (typeof u.costUsd === 'number' && ('attempts' in u ? u.costUsd > 0 : true)) parts.push(formatCost(u.costUsd));
  if (u.inputTokens || u.outputTokens) parts.push(`${formatTokens(u.inputTokens ?? 0)} in / ${formatTokens(u.outputTokens ?? 0)} out`);
  if (u.turns) parts.push(`${u.turns} turn${u.turns === 1 ? '' : 's'}`);
  if ('model' in u && typeof u.model === 'string' && u.model) parts.push(u.model);
  return parts.join(' · ');
}
