/**
 * Scripted model servers on 127.0.0.1 that speak a provider's API well enough for the real agent CLIs:
 * the scenario decides, per request, whether the "model" edits files through the CLI's own tools,
 * answers with an HTTP error, breaks the stream, or never answers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the scripted model does with one request. */
export type Action =
  /** Write these files (paths relative to the agent's working directory) with the CLI's tools, then finish. */
  | { kind: 'edit'; files: { path: string; content: string }[]; summary?: string }
  /** Run a shell command through the CLI's shell tool (which a restrictive permission mode denies), then finish. */
  | { kind: 'shell'; command: string }
  /** Answer with this HTTP status and a provider-shaped error body. */
  | { kind: 'status'; status: number; headers?: Record<string, string>; message?: string }
  /** Start a streamed answer, then send the provider's error event and end the stream. */
  | { kind: 'stream-error'; message?: string }
  /** Accept the request and never answer. */
  | { kind: 'hang' };

/** Decides the action from the task prompt the CLI sent (the first user message's text). */
export type Scenario = (prompt: string) => Action;

/** One request the server saw. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

/** A running scripted server. */
export interface ModelServer {
  /** Base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  requests: SeenRequest[];
  /** Task prompts of the main (tool-using) requests, in arrival order. */
  prompts: string[];
  close(): Promise<void>;
}

/** What a provider module implements. */
export type ProviderHandler = (ctx: {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  body: unknown;
  scenario: Scenario;
  /** Records a main request's prompt (once per conversation turn). */
  notePrompt: (prompt: string) => void;
}) => void;

/** Starts a server for one provider and scenario on a free port of 127.0.0.1. */
export async function startScriptedServer(handler: ProviderHandler, scenario: Scenario): Promise<ModelServer> {
  const sockets = new Set<Socket>();
  const requests: SeenRequest[] = [];
  const prompts: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = null;
      try {
        body = text ? (JSON.parse(text) as unknown) : null;
      } catch {
        body = text;
      }
      const path = (req.url ?? '/').split('?')[0]!;
      requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body });
      try {
        handler({ req, res, path, body, scenario, notePrompt: (p) => prompts.push(p) });
      } catch (err) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    prompts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Starts a server-sent-events answer. */
export function sseStart(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
}

/** Writes one SSE event (`event:` line only when named). */
export function sseEvent(res: ServerResponse, data: unknown, event?: string): void {
  res.write(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
}

/** Sends a JSON answer. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** A stable short name for a prompt (used by scenarios that write one file per task). */
export function taskIdIn(prompt: string): string | undefined {
  return /^# Task (\S+?):/m.exec(prompt)?.[1];
}
