/** Health, Prometheus metrics, the OpenAPI document and its docs page, stats and the audit log. */
import { z } from 'zod';
import { iso } from '../../engine/run-status.js';
import { addUsage, emptyTotals } from '../../core/usage.js';
import { computeStats } from '../../engine/run-report.js';
import type { TaskRecord } from '../../store/records.js';
import { DOCS_HTML, DOCS_SCRIPT } from '../docs-page.js';
import { errors } from '../schemas/common.js';
import { auditList, auditQuery, health, stats, statsQuery, whoami } from '../schemas/misc.js';
import type { ServerDeps, ZodApp } from '../zod-app.js';

const PAGE_CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";

/** Registers the system routes. */
export function registerSystemRoutes(app: ZodApp, deps: ServerDeps): void {
  const { weft } = deps;

  app.get(
    '/api/v1/health',
    {
      config: { public: true, rateLimit: false },
      schema: { tags: ['system'], summary: 'Liveness and basic facts (no token needed)', security: [], response: { 200: health } },
    },
    async () => ({
      status: 'ok' as const,
      version: deps.version,
      db: weft.store.dialect,
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
      auth: deps.authEnabled,
    }),
  );

  app.get(
    '/api/v1/whoami',
    {
      schema: {
        tags: ['system'],
        summary: 'The caller: token name and role (the dashboard hides operator buttons from viewers)',
        response: { 200: whoami },
      },
    },
    async (request) => ({ auth: deps.authEnabled, actor: request.actor, role: request.role ?? 'viewer' }),
  );

  app.get(
    '/api/v1/metrics',
    {
      schema: {
        tags: ['system'],
        summary: 'Prometheus metrics: tasks by status, queue depth, attempt durations, agent errors by category',
        produces: ['text/plain'],
        response: { 200: z.string().describe('Prometheus text exposition format'), ...errors(403) },
      },
    },
    async (_request, reply) => {
      const text = await deps.metrics.registry.metrics();
      return reply.type(deps.metrics.registry.contentType).serializer((s: unknown) => s as string).send(text);
    },
  );

  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get('/api/docs', { config: { public: true, rateLimit: false }, schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('content-security-policy', PAGE_CSP).send(DOCS_HTML),
  );
  app.get('/api/docs/docs.js', { config: { public: true, rateLimit: false }, schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').send(DOCS_SCRIPT),
  );

  app.get(
    '/api/v1/stats',
    {
      schema: {
        tags: ['system'],
        summary: 'Success rate, throughput and durations over recent runs (the dashboard\'s metrics)',
        querystring: statsQuery,
        response: { 200: stats, ...errors(400) },
      },
    },
    async (request) => {
      const runs = await weft.store.listRuns(request.query.runs);
      const tasksByRun = new Map<string, TaskRecord[]>();
      const usage = emptyTotals();
      for (const r of runs) {
        tasksByRun.set(r.id, await weft.store.listTasks(r.id));
        addUsage(usage, await weft.store.usageTotals(r.id));
      }
      const base = computeStats(runs, tasksByRun);
      return {
        ...base,
        usage,
        tasksByStatus: await weft.store.countTasks(),
      };
    },
  );

  app.get(
    '/api/v1/audit',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['system'],
        summary: 'The audit log of mutating calls, newest first (admin only)',
        querystring: auditQuery,
        response: { 200: auditList, ...errors(400, 403) },
      },
    },
    async (request) => {
      const entries = await weft.store.listAudit({ limit: request.query.limit, ...(request.query.before ? { beforeId: request.query.before } : {}) });
      return { entries: entries.map((e) => ({ ...e, at: iso(e.at) ?? '' })) };
    },
  );
}
