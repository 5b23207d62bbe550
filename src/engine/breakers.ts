/**
 * One circuit breaker per agent backend (cockatiel): opens after N consecutive failures or when
 * the error rate over recent calls is too high, so a failing service pauses dispatch instead of
 * burning attempts.
 */
import { circuitBreaker, CircuitState, ConsecutiveBreaker, CountBreaker, handleWhen, type CircuitBreakerPolicy, type IBreaker } from 'cockatiel';
import { AgentError } from '../agents/agent-backend.js';

export interface BreakerSettings {
  consecutiveFailures: number;
  halfOpenAfterMs: number;
  /** Failure rate (0..1) over the last `windowSize` calls that opens the breaker. */
  errorRate?: number;
  windowSize?: number;
}

/** Opens when either of its parts would. */
class EitherBreaker implements IBreaker {
  constructor(
    private readonly a: IBreaker,
    private readonly b: IBreaker,
  ) {}
  get state(): unknown {
    return [this.a.state, this.b.state];
  }
  set state(value: unknown) {
    const [sa, sb] = value as [unknown, unknown];
    this.a.state = sa;
    this.b.state = sb;
  }
  success(state: CircuitState): void {
    this.a.success(state);
    this.b.success(state);
  }
  failure(state: CircuitState): boolean {
    const x = this.a.failure(state);
    const y = this.b.failure(state);
    return x || y;
  }
}

/** Only failures that say something about the service count: not bad task input, not cancellations. */
const SERVICE_FAILURES = ['network', 'rate_limit', 'server', 'timeout', 'agent', 'auth', 'quota'];

/** The breakers of one engine, created lazily per backend name. */
export class BackendBreakers {
  readonly #breakers = new Map<string, CircuitBreakerPolicy>();
  constructor(private readonly settings: BreakerSettings) {}

  /** The breaker of a backend. */
  get(name: string): CircuitBreakerPolicy {
    let b = this.#breakers.get(name);
    if (!b) {
      const s = this.settings;
      b = circuitBreaker(
        handleWhen((err) => err instanceof AgentError && SERVICE_FAILURES.includes(err.category)),
        {
          halfOpenAfter: s.halfOpenAfterMs,
          breaker: new EitherBreaker(
            new ConsecutiveBreaker(s.consecutiveFailures),
            new CountBreaker({ threshold: s.errorRate ?? 0.75, size: s.windowSize ?? 20, minimumNumberOfCalls: Math.max(s.consecutiveFailures * 2, 8) }),
          ),
        },
      );
      this.#breakers.set(name, b);
    }
    return b;
  }

  /** Whether dispatch to this backend is paused. */
  isOpen(name: string): boolean {
    const b = this.#breakers.get(name);
    return b !== undefined && (b.state === CircuitState.Open || b.state === CircuitState.Isolated);
  }
}
