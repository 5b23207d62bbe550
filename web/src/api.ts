/** Talking to weft's API from the browser: JSON calls with the bearer token, and the SSE stream read through fetch. */

const TOKEN_KEY = 'weft.apiToken';

export type TaskStatus = 'pending' | 'ready' | 'running' | 'succeeded' | 'failed' | 'blocked' | 'cancelled' | 'done';
export type RunStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface RunJson {
  id: string;
  title: string;
  status: RunStatus;
  agent: string;
  concurrency: number;
  createdAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  branch: string | null;
  baseBranch: string | null;
  repo: string | null;
  retryOf: string | null;
}

import type { Eta } from '../../src/core/estimate-eta';
import type { RunFigures } from '../../src/core/run-figures';
export type { Eta, RunFigures };

/** `GET /api/v1/runs/:id/progress`. */
export interface RunProgress {
  run: RunJson;
  figures: RunFigures;
  eta: Eta;
}

export interface RunListItem extends RunJson {
  tasks: { total: number; byStatus: Partial<Record<TaskStatus, number>> };
  active: boolean;
}

export interface GraphNode {
  id: string;
  title: string;
  type: string;
  status: TaskStatus;
  estimateMinutes: number;
  phase: number | null;
  critical: boolean;
  prUrl: string | null;
  requirementId: string;
  requirementTitle: string;
  agent: string | null;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  errorCategory: string | null;
  error: string | null;
}

export interface RunGraph {
  runId: string;
  nodes: GraphNode[];
  edges: { from: string; to: string }[];
  criticalPath: string[];
  criticalPathMinutes: number;
}

export interface Attempt {
  number: number;
  status: string;
  workerId: string;
  startedAt: string;
  finishedAt: string | null;
  errorCategory: string | null;
  error: string | null;
  outputTail: string | null;
  usage: Usage | null;
}

/** Tokens, cost and turns an agent reported (all optional). */
export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
  cachedInputTokens?: number;
  costUsd?: number;
  turns?: number;
  model?: string;
  sessionId?: string;
}

/** `GET /api/v1/runs/:id/tasks/:taskId/attempts/:number`. */
export interface AttemptDetail extends Attempt {
  output: string | null;
  prompt: string | null;
  verifyOutput: string | null;
  filesChanged: string[];
  commits: string[];
  prUrl: string | null;
  summary: string | null;
  diff: { text: string; truncated: boolean } | null;
}

export interface TaskDetail {
  task: {
    id: string;
    taskId: string;
    title: string;
    description: string;
    type: string;
    priority: string;
    status: TaskStatus;
    dependsOn: string[];
    estimateMinutes: number;
    agent: string | null;
    branch: string | null;
    prUrl: string | null;
    error: string | null;
    summary: string | null;
    startedAt: string | null;
    finishedAt: string | null;
  };
  critical: boolean;
  attempts: Attempt[];
  usage?: { attempts: number; inputTokens: number; outputTokens: number; cachedInputTokens: number; costUsd: number; turns: number };
  result: unknown;
  prompt: string | null;
  logTail: string | null;
}

export interface Stats {
  runs: number;
  runsByStatus: Record<string, number>;
  tasksProcessed: number;
  succeeded: number;
  failed: number;
  blocked: number;
  cancelled: number;
  running: number;
  pending: number;
  activeMs: number;
  successRate: number | null;
  averageTaskMs: number | null;
  attempts: number;
  tasksRetried: number;
  averageRunMs: number | null;
  lastRunAt: string | null;
  tasksByStatus: Record<string, number>;
  throughputPerHour: number | null;
}

export interface WhoAmI {
  auth: boolean;
  actor: string;
  role: 'viewer' | 'operator' | 'admin';
}

/** An API error with the server's code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function getToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string | null): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = getToken();
  return token ? { ...extra, authorization: `Bearer ${token}` } : extra;
}

/** Calls the API; throws ApiError with the server's message on failure. */
export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    headers: headers(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  if (!res.ok) {
    let code = 'http_error';
    let message = `HTTP ${res.status}`;
    try {
      const body = (await res.json()) as { error?: { code: string; message: string } };
      if (body.error) ({ code, message } = body.error);
    } catch {
      // not JSON
    }
    throw new ApiError(res.status, code, message);
  }
  return (await res.json()) as T;
}

export interface LiveEvent {
  id: number | undefined;
  type: string;
  at: number;
  runId: string | null;
  taskId: string | null;
  data: Record<string, unknown>;
}

/**
 * Follows `/api/v1/events` (EventSource cannot send the Authorization header, so this reads the stream
 * with fetch), reconnecting with Last-Event-ID. Returns a function that stops it.
 */
export function followEvents(query: string, onEvent: (e: LiveEvent) => void, onState?: (connected: boolean) => void): () => void {
  let stopped = false;
  let lastId: string | undefined;
  let controller: AbortController | undefined;
  const connect = async () => {
    while (!stopped) {
      controller = new AbortController();
      try {
        const res = await fetch(`/api/v1/events${query}`, {
          headers: headers(lastId ? { 'last-event-id': lastId } : {}),
          signal: controller.signal,
        });
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        onState?.(true);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let data: string | undefined;
            let id: string | undefined;
            for (const line of block.split('\n')) {
              if (line.startsWith('id:')) id = line.slice(3).trim();
              else if (line.startsWith('data:')) data = (data ?? '') + line.slice(5).trim();
            }
            if (id !== undefined) lastId = id;
            if (data) {
              const parsed = JSON.parse(data) as Omit<LiveEvent, 'id'>;
              onEvent({ ...parsed, id: id !== undefined ? Number(id) : undefined });
            }
          }
        }
      } catch {
        // Reconnect below.
      }
      onState?.(false);
      if (!stopped) await new Promise((r) => setTimeout(r, 2000));
    }
  };
  void connect();
  return () => {
    stopped = true;
    controller?.abort();
  };
}
