/**
 * The HTTP server: REST API (zod schemas are the one source for validation and the OpenAPI
 * document), live events over SSE, auth, audit log, rate and body limits, and the dashboard.
 */
import { readFileSync } from 'node:fs';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { WeftError } from '../core/errors.js';
import { EngineEvents } from '../engine/events.js';
import type { Weft } from '../weft.js';
import { memoryText } from './api-json.js';
import { installAudit } from './audit.js';
import { installAuth, resolveTokens, type ApiToken } from './auth.js';
import { installErrorHandler } from './error-handler.js';
import { installTextGuard } from './text-guard.js';
import { EventHub, LIVE_EVENTS } from './event-hub.js';
import { DEFAULT_RATE_LIMIT_PER_MINUTE } from './limits.js';
import { ListCache } from './list-cache.js';
import { RunPlanCache } from './run-plan-cache.js';
import { createMetrics } from './metrics.js';
import { registerDashboardRoutes } from './routes/dashboard.js';
import { registerDeploymentRoutes } from './routes/deployment.js';
import { registerEventRoutes } from './routes/events.js';
import { registerGithubWebhook } from './routes/github-webhook.js';
import { registerRunRoutes } from './routes/runs.js';
import { registerSystemRoutes } from './routes/system.js';
import { registerTaskRoutes } from './routes/tasks.js';
import { registerWorkflowRoutes } from './routes/workflows.js';
import { WorkflowBackground } from '../workflow/background.js';
import { startScheduler } from '../workflow/scheduler.js';
import { handleGithubDelivery } from '../workflow/triggers.js';
import { RunExecutor } from './run-executor.js';
import type { ServerDeps } from './zod-app.js';

export { DEFAULT_RATE_LIMIT_PER_MINUTE };

export interface BuildServerOptions {
  weft: Weft;
  /** Fire workflows' cron triggers from this server (default true). */
  schedules?: boolean;
  /** The bus runs executed here emit on (one is made when absent). */
  events?: EngineEvents;
  /** API tokens; default: WEFT_API_TOKEN and config `server.tokens`. An empty list turns auth off. */
  tokens?: ApiToken[];
  logger?: boolean;
  /** Requests per minute per client address; 0 turns rate limiting off. Default DEFAULT_RATE_LIMIT_PER_MINUTE. */
  rateLimitPerMinute?: number;
  /** Largest accepted request body in bytes. Default 2 MiB. */
  bodyLimit?: number;
  /** SSE keep-alive comment interval. Default 15 s. */
  keepAliveMs?: number;
  /** How often SSE follows the store's event log. Default 250 ms. */
  eventPollMs?: number;
  /** Engine heartbeat for runs executed here. */
  heartbeatMs?: number;
  /** Check every response against its zod schema (tests do; a mismatch answers 500). Default false. */
  validateResponses?: boolean;
  /** Longest time a task list page is served from the cache; 0 turns the cache off. Default 1000 ms. */
  listCacheMs?: number;
}

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Builds the server, not yet ready or listening: more routes can be added before `listen()` / `inject()`. */
export async function buildServer(opts: BuildServerOptions): Promise<FastifyInstance> {
  const { weft } = opts;
  const tokens = opts.tokens ?? resolveTokens(process.env, weft.config.server.tokens);
  const bus = opts.events ?? new EngineEvents();
  bus.setMaxListeners(0);
  const bodyLimit = opts.bodyLimit ?? 2 * 1024 * 1024;
  const app = Fastify({
    logger: opts.logger ? { level: 'info', redact: ['req.headers.authorization'] } : false,
    bodyLimit,
    // Undici-style keep-alive for benchmarks and dashboards that poll.
    keepAliveTimeout: 10_000,
    // Never trust X-Forwarded-For by default: rate limits key on the real peer address.
    trustProxy: false,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  // Response schemas document the API; checking every response against them costs about as much as
  // the database read of a 50-task page, so only tests (and the curious) turn the check on.
  app.setSerializerCompiler(opts.validateResponses ? serializerCompiler : () => (data: unknown) => JSON.stringify(data));
  installErrorHandler(app);

  const executor = new RunExecutor(weft, bus, app.log, opts.heartbeatMs ? { heartbeatMs: opts.heartbeatMs } : {});
  const hub = new EventHub(weft.store, bus, opts.eventPollMs ? { pollMs: opts.eventPollMs } : {});
  const metrics = createMetrics(weft.store, bus, () => executor.activeIds().length);
  const listCache = new ListCache(weft.store, opts.listCacheMs ?? 1000);
  const plans = new RunPlanCache(weft.store);
  // An engine event of a run executed here means some task changed.
  const forget = () => listCache.invalidate();
  for (const name of LIVE_EVENTS) bus.on(name, forget);

  // What a task of a run executed here produced goes into memory, for searches and later prompts.
  const remember = (e: { runId: string; taskId: string }) => {
    void (async () => {
      const task = await weft.store.getTask(e.runId, e.taskId);
      if (task) await weft.store.addMemory({ runId: e.runId, taskId: e.taskId, title: task.title, summary: memoryText(task), source: 'engine', createdAt: Date.now() });
    })().catch((err: unknown) => app.log.warn({ err }, 'could not record memory'));
  };
  bus.on('task.succeeded', remember);

  app.addHook('onRequest', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
  });
  installTextGuard(app);
  installAudit(app, weft.store);
  // After the handler changed the store and before the caller hears of it: no page read before the
  // change survives (a read still under way when this runs is not cached either).
  app.addHook('onSend', async (request, _reply, payload) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      listCache.invalidate();
      plans.invalidate();
    }
    return payload;
  });
  // Redaction in depth: whatever a response carries (agent output stored before redaction existed,
  // memory, deployment results) is redacted once more on the way out, for every role.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (typeof payload !== 'string') return payload;
    const type = String(reply.getHeader('content-type') ?? '');
    return type === '' || /json|text\/plain/.test(type) ? weft.redact(payload) : payload;
  });

  const perMinute = opts.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE;
  if (perMinute > 0) {
    await app.register(fastifyRateLimit, {
      global: true,
      max: perMinute,
      timeWindow: 60_000,
      // Per peer address (not per token: a guesser would get a fresh allowance with every guess).
      errorResponseBuilder: (_request, context) =>
        new WeftError('rate_limited', `rate limit exceeded: ${context.max} requests per minute; retry in ${context.after}`, { limit: context.max, retryAfter: context.after }),
    });
  }

  // After the rate limiter, so refused guesses are counted too.
  installAuth(app, tokens);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'weft API',
        description: 'Plans, runs and tasks of weft, live engine events, and seed 000\'s deployment endpoints.',
        version: pkg.version,
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'WEFT_API_TOKEN or a token from config server.tokens' } } },
      security: tokens.length ? [{ bearer: [] }] : [],
      tags: [
        { name: 'system', description: 'Health, metrics, documentation, audit' },
        { name: 'plans', description: 'Requirements to task graphs' },
        { name: 'runs', description: 'Executing plans' },
        { name: 'tasks', description: 'Tasks across runs, and ad-hoc tasks' },
        { name: 'events', description: 'Live engine events' },
        { name: 'deployment', description: 'Seed 000 compatibility: /api/codegen/deployment/*' },
        { name: 'workflows', description: 'Seed 004 workflows: definitions, runs, steps, approvals' },
      ],
    },
    transform: jsonSchemaTransform,
  });

  const deps: ServerDeps = {
    weft,
    bus,
    executor,
    hub,
    metrics,
    version: pkg.version,
    startedAt: Date.now(),
    authEnabled: tokens.length > 0,
    keepAliveMs: opts.keepAliveMs ?? 15_000,
    listCache,
    plans,
    validateResponses: opts.validateResponses ?? false,
  };
  registerSystemRoutes(app, deps);
  registerRunRoutes(app, deps);
  registerTaskRoutes(app, deps);
  registerEventRoutes(app, deps);
  registerDeploymentRoutes(app, deps);
  registerDashboardRoutes(app);
  // Workflows execute here in the background; their events join the server's bus (SSE, metrics).
  const workflowRuns = new WorkflowBackground(weft.workflows, (err, runId) => app.log.error({ err, runId }, 'workflow run failed to execute'));
  type Emit = (name: string, payload: unknown) => boolean;
  const forwardWorkflowEvent = (name: string) => (payload: unknown) => (bus.emit as unknown as Emit).call(bus, name, payload);
  const workflowEventNames = ['workflow.started', 'step.started', 'step.waiting', 'step.retry', 'step.finished', 'workflow.finished'] as const;
  const forwarders = workflowEventNames.map((n) => [n, forwardWorkflowEvent(n)] as const);
  for (const [n, f] of forwarders) weft.workflowEvents.on(n, f);
  registerWorkflowRoutes(app, deps, workflowRuns);
  const stopScheduler = opts.schedules === false ? () => undefined : startScheduler(weft.workflows, { onRun: (id) => workflowRuns.start(id), onError: (err) => app.log.error({ err }, 'workflow schedule') });
  // GitHub's pull request events (no token: GitHub signs each delivery). A run with work again after
  // an event executes here, so it shows in the event stream like any other.
  await registerGithubWebhook(app as unknown as FastifyInstance, {
    weft,
    onEvent: async (event, payload, delivery) => {
      const r = await handleGithubDelivery(weft.workflows, event, payload, delivery);
      for (const id of r.runIds) workflowRuns.start(id);
      return r;
    },
    resume: (runId) => {
      if (executor.isActive(runId)) return;
      void (async () => {
        const run = await weft.store.getRun(runId);
        // Running elsewhere: that engine claims the ready tasks itself.
        if (run && run.status !== 'running' && !executor.isActive(runId)) executor.start(runId, { resumed: true });
      })().catch((err: unknown) => app.log.error({ err, runId }, 'could not resume the run after a pull request event'));
    },
  });

  app.addHook('preClose', async () => {
    // Requests in flight get a moment to finish; a connection that never sends one is not kept waiting for.
    setTimeout(() => app.server.closeAllConnections(), 500).unref();
  });
  app.addHook('onClose', async () => {
    bus.off('task.succeeded', remember);
    for (const name of LIVE_EVENTS) bus.off(name, forget);
    hub.close();
    metrics.close();
    await executor.stopAll();
    stopScheduler();
    for (const [n, f] of forwarders) weft.workflowEvents.off(n, f);
    await workflowRuns.stopAll();
  });
  // Not made ready here: callers may still add routes (they get auth, audit and the OpenAPI document too).
  return app;
}
