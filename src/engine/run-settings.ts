/** Per-run settings the engine needs again on resume, stored in the run's options. */
import type { VerifyBaseline } from '../core/verify-baseline.js';
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
  /** Verify commands that failed on the base branch, run with `--allow-failing-baseline`: attempts are judged by new failures. */
  baselines: Record<string, VerifyBaseline>;
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
    baselines: readBaselines(options.baselines),
  };
}

/** Settings as storable JSON. */
export function writeRunSettings(s: RunSettings): { [key: string]: Json } {
  const baselines: { [key: string]: Json } = {};
  for (const [command, b] of Object.entries(s.baselines)) baselines[command] = { command: b.command, passed: b.passed, exitCode: b.exitCode, failures: b.failures };
  return { context: s.context, source: s.source, verify: s.verify, timeoutMs: s.timeoutMs, merge: s.merge, maxCostUsd: s.maxCostUsd, ...(s.sandbox ? { sandbox: s.sandbox } : {}), ...(Object.keys(baselines).length ? { baselines } : {}) };
}

function readBaselines(v: Json | undefined): Record<string, VerifyBaseline> {
  const out: Record<string, VerifyBaseline> = {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) return out;
  for (const [command, b] of Object.entries(v)) {
    if (!b || typeof b !== 'object' || Array.isArray(b)) continue;
    const failures = Array.isArray(b.failures) ? b.failures.filter((f): f is string => typeof f === 'string') : [];
    out[command] = { command, passed: b.passed === true, exitCode: typeof b.exitCode === 'number' ? b.exitCode : null, failures };
  }
  return out;
}
