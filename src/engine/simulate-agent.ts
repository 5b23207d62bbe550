/**
 * The `simulate` backend, for what-if runs and tests: an attempt sleeps `estimateMinutes × scale`
 * milliseconds and fails with a retryable error with probability `failRate`; a seed makes it repeatable.
 */
import { AgentError, type AgentBackend, type AgentRequest, type AgentResult } from '../agents/agent-backend.js';
import { seededHash } from './seeded-hash.js';

export interface SimulateSettings {
  /** Milliseconds per estimated minute (WEFT_SIM_SCALE, default 1). */
  scale: number;
  /** Probability 0..1 that an attempt fails (WEFT_SIM_FAIL). */
  failRate: number;
  /** Makes failures repeatable (WEFT_SIM_SEED); without it they are random. */
  seed: number | undefined;
}

/** Reads WEFT_SIM_SCALE, WEFT_SIM_FAIL and WEFT_SIM_SEED. */
export function simulateSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): SimulateSettings {
  const num = (name: string, fallback: number, min: number, max: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const v = Number(raw);
    if (!Number.isFinite(v) || v < min || v > max) throw new AgentError('validation', `${name} must be a number from ${min} to ${max}, got "${raw}"`);
    return v;
  };
  const seedRaw = env.WEFT_SIM_SEED;
  return { scale: num('WEFT_SIM_SCALE', 1, 0, 1e6), failRate: num('WEFT_SIM_FAIL', 0, 0, 1), seed: seedRaw ? num('WEFT_SIM_SEED', 0, -1e15, 1e15) : undefined };
}

/** Creates the simulate backend. */
export function createSimulateAgent(settings: SimulateSettings): AgentBackend {
  return {
    name: 'simulate',
    needsWorktree: false,
    async run(req: AgentRequest): Promise<AgentResult> {
      const ms = req.task.estimateMinutes * settings.scale;
      if (ms > 0) await sleep(ms, req.signal);
      else if (req.signal.aborted) throw abortError(req.signal);
      const roll = settings.seed === undefined ? Math.random() : seededHash(`${settings.seed}:${req.runId}:${req.task.id}:${req.attempt}`);
      if (roll < settings.failRate) {
        throw new AgentError('agent', `simulated failure of ${req.task.id} (attempt ${req.attempt})`, { output: `simulated agent output for ${req.task.id}\nfailed` });
      }
      return { summary: `Simulated ${req.task.title}`, output: `simulated agent output for ${req.task.id}\nok` };
    },
  };
}

/** Resolves after `ms`, or rejects when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortError(signal: AbortSignal): AgentError {
  return signal.reason === 'timeout' ? new AgentError('timeout', 'attempt timed out') : new AgentError('cancelled', 'cancelled');
}
