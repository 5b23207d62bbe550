/** The dashboard: the static files Vite builds into web/dist, served at `/` (they hold no data, so no token). */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { ZodApp } from '../zod-app.js';

/** web/dist from src/server/routes (tsx) and from dist/server/routes (built) alike. */
export const DASHBOARD_DIR = resolve(fileURLToPath(new URL('../../../web/dist', import.meta.url)));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

const CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>weft</title>
<body style="font:15px system-ui;margin:40px"><h1>weft</h1><p>The dashboard has not been built: run <code>npm run build</code>.</p>
<p>The API is up: <a href="/api/docs">/api/docs</a>.</p></body>`;

/** Registers `/` and `/assets/*`. */
export function registerDashboardRoutes(app: ZodApp, dir: string = DASHBOARD_DIR): void {
  const page = { config: { public: true, rateLimit: false }, schema: { hide: true } } as const;
  app.get('/', page, async (_request, reply) => {
    const index = join(dir, 'index.html');
    reply.header('content-security-policy', CSP).header('cache-control', 'no-cache');
    if (!existsSync(index)) return reply.type('text/html; charset=utf-8').send(NOT_BUILT);
    return reply.type('text/html; charset=utf-8').send(await readFile(index));
  });
  app.get('/favicon.ico', page, async (_request, reply) => reply.code(204).send());
  app.get(
    '/assets/:file',
    { ...page, schema: { hide: true, params: z.object({ file: z.string().regex(/^[\w.-]+$/).max(200) }) } },
    async (request, reply) => {
      const file = request.params.file;
      const path = join(dir, 'assets', file);
      // The name pattern already rules out separators; this keeps it so if the pattern ever changes.
      if (!path.startsWith(join(dir, 'assets'))) return reply.code(404).send();
      let body: Buffer;
      try {
        body = await readFile(path);
      } catch {
        return reply.callNotFound();
      }
      // Vite puts a content hash in asset names, so they never change.
      return reply
        .type(TYPES[extname(file)] ?? 'application/octet-stream')
        .header('cache-control', 'public, max-age=31536000, immutable')
        .send(body);
    },
  );
}
