/**
 * A load generator for the API benchmark, run as its own process so its CPU is not the server's:
 * autocannon over a list of paths, each request taking the next path (distinct pages, not one cached
 * URL). Usage: load-client.ts CONFIG_FILE (JSON); prints autocannon's JSON summary on stdout.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

interface LoadConfig {
  base: string;
  paths: string[];
  connections: number;
  seconds: number;
  /** Fixed overall request rate; 0 = flat out. */
  rate: number;
  headers?: Record<string, string>;
}

const config = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as LoadConfig;
let next = 0;
const result = await autocannon({
  url: config.base,
  connections: config.connections,
  duration: config.seconds,
  ...(config.rate > 0 ? { overallRate: config.rate } : {}),
  headers: config.headers ?? {},
  requests: [
    {
      setupRequest: (request: { path: string }) => {
        request.path = config.paths[next++ % config.paths.length]!;
        return request;
      },
    },
  ],
});
process.stdout.write(`${JSON.stringify({ requests: result.requests, latency: result.latency, errors: result.errors, non2xx: result.non2xx, timeouts: result.timeouts, statusCodeStats: result.statusCodeStats })}\n`);
