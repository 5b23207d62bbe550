/** `GET /api/v1/events`: Server-Sent Events of the engine's lifecycle, resumable with Last-Event-ID. */
import type { ServerResponse } from 'node:http';
import { storedMessages, sseMessage, type HubMessage } from '../event-hub.js';
import { errors } from '../schemas/common.js';
import { eventsQuery } from '../schemas/misc.js';
import type { ServerDeps, ZodApp } from '../zod-app.js';

/** A client that stopped reading is dropped once this much is waiting for it. */
const MAX_BUFFERED = 1024 * 1024;

/** Registers the event stream; open streams are ended when the server closes. */
export function registerEventRoutes(app: ZodApp, deps: ServerDeps): void {
  const { weft, hub } = deps;
  const open = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    // Destroyed, not ended: an ended stream leaves a keep-alive connection the server would wait for.
    for (const res of open) res.destroy();
  });

  app.get(
    '/api/v1/events',
    {
      config: { rateLimit: false },
      schema: {
        tags: ['events'],
        summary: 'Server-Sent Events: run.started, task.started, task.succeeded, task.failed, ... (`?run=` for one run)',
        description:
          'Each event has `event: <type>`, `id: <n>` and `data: {"type","at","runId","taskId","data"}`. Events of runs executing in this server arrive at once and their id follows in a message with only `id:`; events of other processes arrive within about a quarter second. Reconnect with `Last-Event-ID` (or `?lastEventId=`) to get what was missed. Comments keep the connection alive.',
        querystring: eventsQuery,
        produces: ['text/event-stream'],
        response: { ...errors(400) },
      },
    },
    async (request, reply) => {
      const runFilter = request.query.run;
      const header = request.headers['last-event-id'];
      const fromHeader = typeof header === 'string' && /^\d+$/.test(header.trim()) ? Number(header.trim()) : undefined;
      const resumeFrom = fromHeader ?? request.query.lastEventId;

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-content-type-options': 'nosniff',
      });
      res.write('retry: 2000\n\n');
      open.add(res);

      let cursor = 0;
      let replaying = true;
      const queued: HubMessage[] = [];
      const deliver = (m: HubMessage) => {
        if (runFilter !== undefined && m.runId !== runFilter) return;
        if (m.id !== undefined) {
          if (m.id <= cursor) return;
          cursor = m.id;
        }
        if (res.writableLength > MAX_BUFFERED) {
          res.destroy();
          return;
        }
        res.write(weft.redact(sseMessage(m)));
      };
      const unsubscribe = await hub.subscribe((m) => (replaying ? queued.push(m) : deliver(m)));
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), deps.keepAliveMs);
      keepAlive.unref();
      res.on('close', () => {
        clearInterval(keepAlive);
        unsubscribe();
        open.delete(res);
      });

      try {
        if (resumeFrom !== undefined) {
          for await (const m of storedMessages(weft.store, resumeFrom, runFilter)) {
            if (res.destroyed) break;
            deliver(m);
          }
          cursor = Math.max(cursor, resumeFrom);
        } else {
          // Tell the client where it stands, so a reconnect resumes from here.
          cursor = hub.lastId;
          res.write(`id: ${cursor}\n\n`);
        }
      } catch (err) {
        request.log.warn({ err }, 'event replay failed');
      }
      replaying = false;
      for (const m of queued.splice(0)) deliver(m);
      return reply;
    },
  );
}
