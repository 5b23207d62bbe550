/** The Fastify instance type routes are registered on: zod schemas typed through the type provider. */
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { EngineEvents } from '../engine/events.js';
import type { Weft } from '../weft.js';
import type { EventHub } from './event-hub.js';
import type { RunPlanCache } from './run-plan-cache.js';
import type { ListCache } from './list-cache.js';
import type { ServerMetrics } from './metrics.js';
import type { RunExecutor } from './run-executor.js';

export type ZodApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

/** What every route module gets. */
export interface ServerDeps {
  weft: Weft;
  /** The server's event bus: every run executed here emits on it. */
  bus: EngineEvents;
  executor: RunExecutor;
  hub: EventHub;
  metrics: ServerMetrics;
  version: string;
  startedAt: number;
  authEnabled: boolean;
  /** Interval of SSE keep-alive comments. */
  keepAliveMs: number;
  /** Task list pages, until something changes. */
  listCache: ListCache;
  /** Analyzed plans of runs (critical path), until a spec changes. */
  plans: RunPlanCache;
  /** Whether responses are checked against their schemas. */
  validateResponses: boolean;
}
