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
  /** When each backend's breaker last opened; cockatiel only goes half-open on the next call. */
  readonly #openedAt = new Map<string, number>();
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
            new CountBreaker({ threshold: s.errorRate ?? 0.75, size: s.windowSize ?? 20, minimumNumberOfCalls: Math.min((s.windowSize ?? 20) - 1, 10) }),
          ),
        },
      );
      b.onBreak(() => this.#openedAt.set(name, Date.now()));
      this.#breakers.set(name, b);
    }
    return b;
  }

  /** Milliseconds until a trial call may go to this backend; 0 when dispatch is not paused. */
  pausedFor(name: string, now = Date.now()): number {
    const b = this.#breakers.get(name);
    if (!b || (b.state !== CircuitState.Open && b.state !== CircuitState.Isolated)) return 0;
    if (b.state === CircuitState.Isolated) return this.settings.halfOpenAfterMs;
    return Math.max(0, (this.#openedAt.get(name) ?? now) + this.settings.halfOpenAfterMs - now);
  }
}
