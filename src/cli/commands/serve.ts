/** `weft serve`: the REST API, live events and the dashboard, with runs started over the API executing in this process. */
import type { Command } from 'commander';
import { InputError } from '../../core/errors.js';
import { DEFAULT_RATE_LIMIT_PER_MINUTE } from '../../server/limits.js';
import { DB_HELP } from '../with-weft.js';

interface ServeFlags {
  host?: string;
  port?: string;
  db?: string;
  rateLimit?: string;
  log?: boolean;
}

function wholeNumber(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new InputError(`--${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  return n;
}

/** Registers `weft serve`. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Serve the REST API (/api/v1), live events (SSE) and the dashboard (/); runs started over the API execute here')
    .option('--host <host>', 'address to listen on (config server.host; default 127.0.0.1). Beyond loopback an API token is required')
    .option('--port <port>', 'port (config server.port; default 7077; 0 picks a free one)')
    .option('--db <db>', DB_HELP)
    .option('--rate-limit <n>', 'requests per minute per client address; 0 turns it off', String(DEFAULT_RATE_LIMIT_PER_MINUTE))
    .option('--log', 'log every request (JSON lines on stdout)')
    .addHelpText(
      'after',
      '\nAuth: set WEFT_API_TOKEN (an admin token, 16+ characters) and/or config server.tokens ({ name, role, env }).\nThen every route except /api/v1/health needs `Authorization: Bearer <token>`.',
    )
    .action(async (flags: ServeFlags) => {
      const port = flags.port !== undefined ? wholeNumber('port', flags.port, 0, 65535) : undefined;
      const rateLimitPerMinute = wholeNumber('rate-limit', flags.rateLimit ?? String(DEFAULT_RATE_LIMIT_PER_MINUTE), 0, 10_000_000);
      // Loaded on demand: Fastify and the engine are most of the start-up time of other commands.
      const { openWeft } = await import('../../weft.js');
      const { assertSafeListen, resolveTokens } = await import('../../server/auth.js');
      const { buildServer } = await import('../../server/build-server.js');
      const weft = await openWeft(flags.db ? { db: flags.db } : {});
      let closing: Promise<void> | undefined;
      try {
        const host = flags.host ?? weft.config.server.host;
        const tokens = resolveTokens(process.env, weft.config.server.tokens);
        assertSafeListen(host, tokens);
        const app = await buildServer({ weft, tokens, logger: flags.log ?? false, rateLimitPerMinute });
        const close = () => {
          closing ??= (async () => {
            process.stderr.write('\nweft serve: stopping (runs executing here are interrupted; `weft resume` continues them)\n');
            await app.close();
          })();
          return closing;
        };
        const done = new Promise<void>((resolve) => app.server.once('close', () => resolve()));
        process.once('SIGINT', () => void close());
        process.once('SIGTERM', () => void close());
        const listenPort = port ?? weft.config.server.port;
        try {
          await app.listen({ host, port: listenPort });
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'EADDRINUSE') throw new InputError(`port ${listenPort} on ${host} is in use: pick another with --port (0 picks a free one)`, { host, port: listenPort });
          if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new InputError(`cannot listen on ${host}: no such address on this machine`, { host });
          throw err;
        }
        const address = app.server.address();
        const bound = typeof address === 'object' && address ? address.port : port;
        const shown = host.includes(':') ? `[${host}]` : host;
        process.stderr.write(
          `weft serve: http://${shown}:${bound}/ (dashboard) · API http://${shown}:${bound}/api/v1 · docs http://${shown}:${bound}/api/docs · ` +
            `auth ${tokens.length ? `on (${tokens.map((t) => `${t.name}: ${t.role}`).join(', ')})` : 'off (loopback only)'} · db ${weft.store.dialect}\n`,
        );
        await done;
        await closing;
      } finally {
        await weft.close();
      }
    });
}
