/**
 * A stand-in of Codegen's agent-run API that follows its published OpenAPI document: lower-case
 * statuses, no Retry-After on 429, the documented limits (agent creation per minute, 60 reads per 30 s,
 * both windows configurable), `metadata` kept and listed, and a way to lose one creation's answer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInRun {
  id: number;
  prompt: string;
  metadata: Record<string, unknown>;
  body: Record<string, unknown>;
  polls: number;
  status: string;
}

export interface StandInOptions {
  token: string;
  org: string;
  /** Creations per `createWindowMs` before 429 (default 10 a minute). */
  createLimit?: number;
  createWindowMs?: number;
  /** Reads (GET) per `readWindowMs` before 429 (default 60 per 30 s). */
  readLimit?: number;
  readWindowMs?: number;
  /** Statuses a run reports on successive reads; the last one sticks. */
  script?: (run: StandInRun) => string[];
  /** The result text of a finished run. */
  result?: (run: StandInRun) => string;
}

/** Starts the stand-in on 127.0.0.1; `url` is its base, the counters say what clients did. */
export async function startCodegenStandIn(options: StandInOptions) {
  const runs = new Map<number, StandInRun>();
  const creates: number[] = [];
  const reads: number[] = [];
  const seen: { method: string; path: string; at: number; status: number }[] = [];
  const state = { next: 1, loseNextCreate: false, lostCreates: 0, read429: 0, create429: 0, listCalls: 0, force429: 0 };
  const createLimit = options.createLimit ?? 10;
  const createWindowMs = options.createWindowMs ?? 60_000;
  const readLimit = options.readLimit ?? 60;
  const readWindowMs = options.readWindowMs ?? 30_000;
  const script = options.script ?? (() => ['active', 'running', 'completed']);
  const view = (r: StandInRun) => {
    const statuses = script(r);
    const status = statuses[Math.min(r.polls, statuses.length - 1)]!;
    r.status = status;
    const done = status === 'completed' || status === 'complete';
    return {
      id: r.id,
      organization_id: Number(options.org),
      status,
      created_at: new Date().toISOString(),
      web_url: `https://codegen.test/agent/trace/${r.id}`,
      result: ['active', 'running', 'pending', 'evaluation'].includes(status) ? null : (options.result?.(r) ?? `did run ${r.id}`),
      summary: done ? `summary of run ${r.id}` : null,
      source_type: 'API',
      github_pull_requests: done ? [{ id: 9000 + r.id, title: `PR of run ${r.id}`, url: `https://github.com/acme/shop/pull/${100 + r.id}`, created_at: new Date().toISOString(), head_branch_name: `codegen-bot/run-${r.id}` }] : [],
      metadata: r.metadata,
    };
  };
  const inWindow = (times: number[], windowMs: number, now: number) => times.filter((t) => t > now - windowMs).length;

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const now = Date.now();
      const path = req.url ?? '';
      const send = (status: number, body: unknown) => {
        seen.push({ method: req.method ?? '', path, at: now, status });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Bearer ${options.token}`) return send(403, { message: 'You do not have access to this organization.', status_code: 403 });
      const prefix = `/v1/organizations/${options.org}`;
      if (req.method === 'POST' && path === `${prefix}/agent/run`) {
        if (inWindow(creates, createWindowMs, now) >= createLimit) {
          state.create429++;
          return send(429, { message: 'Rate limit exceeded. Please try again later.', status_code: 429 });
        }
        creates.push(now);
        const body = JSON.parse(raw || '{}') as Record<string, unknown>;
        const run: StandInRun = { id: state.next++, prompt: String(body.prompt ?? ''), metadata: (body.metadata as Record<string, unknown>) ?? {}, body, polls: 0, status: 'active' };
        runs.set(run.id, run);
        if (state.loseNextCreate) {
          // The run exists (and is paid for), but its answer never reaches the client.
          state.loseNextCreate = false;
          state.lostCreates++;
          seen.push({ method: 'POST', path, at: now, status: 0 });
          return req.socket.destroy();
        }
        return send(200, view(run));
      }
      if (req.method === 'GET') {
        if (state.force429 > 0 || inWindow(reads, readWindowMs, now) >= readLimit) {
          if (state.force429 > 0) state.force429--;
          state.read429++;
          return send(429, { message: 'Rate limit exceeded. Please try again later.', status_code: 429 });
        }
        reads.push(now);
        const one = new RegExp(`^${prefix}/agent/run/(\\d+)$`).exec(path);
        if (one) {
          const run = runs.get(Number(one[1]));
          if (!run) return send(404, { message: 'Agent run not found', status_code: 404 });
          run.polls++;
          return send(200, view(run));
        }
        const list = new RegExp(`^${prefix}/agent/runs(\\?.*)?$`).exec(path);
        if (list) {
          state.listCalls++;
          const q = new URLSearchParams(list[1]?.slice(1) ?? '');
          const skip = Number(q.get('skip') ?? 0);
          const limit = Math.min(100, Number(q.get('limit') ?? 100));
          const all = [...runs.values()].sort((a, b) => b.id - a.id);
          const items = all.slice(skip, skip + limit).map((r) => {
            r.polls++;
            return view(r);
          });
          return send(200, { items, total: all.length, page: Math.floor(skip / limit) + 1, size: limit, pages: Math.ceil(all.length / limit) });
        }
      }
      send(404, { detail: 'Not Found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    runs,
    creates,
    reads,
    seen,
    state,
    /** The most reads that fell into any one read window (what the limit is about). */
    peakReads(): number {
      let peak = 0;
      for (let i = 0; i < reads.length; i++) peak = Math.max(peak, reads.filter((t) => t >= reads[i]! && t < reads[i]! + readWindowMs).length);
      return peak;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
