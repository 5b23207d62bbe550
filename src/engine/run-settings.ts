/** Per-run settings the engine needs again on resume, stored in the run's options. */
import type { Json } from '../store/records.js';

export interface RunSettings {
  /** Project context (the prose under the document's title), for prompts. */
  context: string;
  source: string;
  verify: string | null;
  timeoutMs: number;
  /** Merge the integration branch into the base branch at the end. */
  merge: boolean;
  /** The run's cost budget in US dollars (`--max-cost`, config `budget.maxCostUsd`); null for none. */
  maxCostUsd: number | null;
  /** `--sandbox`: overrides config `sandbox` for this run (resume keeps it); null: the config decides. */
  sandbox?: 'none' | 'bwrap' | null;
}

/** Reads settings back from a run's stored options, with defaults for anything missing. */
export function readRunSettings(options: { [key: string]: Json }): RunSettings {
  const str = (v: Json | undefined) => (typeof v === 'string' ? v : null);
  return {
    context: str(options.context) ?? '',
    source: str(options.source) ?? '',
    verify: str(options.verify),
    timeoutMs: typeof options.timeoutMs === 'number' ? options.timeoutMs : 30 * 60_000,
    merge: options.merge === true,
    maxCostUsd: typeof options.maxCostUsd === 'number' ? options.maxCostUsd : null,
    sandbox: options.sandbox === 'bwrap' || options.sandbox === 'none' ? options.sandbox : null,
  };
}

/** Settings as storable JSON. */
export function writeRunSettings(s: RunSettings): { [key: string]: Json } {
  return { context: s.context, source: s.source, verify: s.verify, timeoutMs: s.timeoutMs, merge: s.merge, maxCostUsd: s.maxCostUsd, ...(s.sandbox ? { sandbox: s.sandbox } : {}) };
}
