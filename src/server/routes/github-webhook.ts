/**
 * `POST /api/v1/webhooks/github`: GitHub's pull_request, pull_request_review, check_suite, check_run and
 * status events move tracked pull requests and trigger their reactions. The `X-Hub-Signature-256` header
 * is checked against WEFT_WEBHOOK_SECRET over the raw body before anything is parsed or changed.
 */
import { Webhooks } from '@octokit/webhooks';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { PrTracker, type TrackOutcome } from '../../forge/pr-tracker.js';
import type { Engine } from '../../engine/engine.js';
import type { Weft } from '../../weft.js';
import type { Json } from '../../store/records.js';

export const GITHUB_WEBHOOK_PATH = '/api/v1/webhooks/github';

export interface GithubWebhookDeps {
  weft: Weft;
  /** The shared secret; default: WEFT_WEBHOOK_SECRET, read on each request. */
  secret?: string;
  /**
   * Executes a run that has work again (a new attempt, or dependents a merge released). Default: resume it
   * in this process unless it is running already (in this process or another one).
   */
  resume?: (runId: string) => void;
  /** Replaces the tracker (tests). */
  tracker?: PrTracker;
  /** Workflow triggers (src/workflow/triggers.ts): told every verified delivery; what it returns goes into the response as `workflows`. */
  onEvent?: (event: string, payload: { [key: string]: Json }, delivery: string | undefined) => Promise<{ duplicate: boolean; runIds: string[]; completed: string[] }>;
}

type ErrorCode = 'unauthorized' | 'invalid_input' | 'internal';

function fail(reply: FastifyReply, status: number, code: ErrorCode, message: string) {
  return reply.code(status).send({ error: { code, message, details: {} } });
}

/** Registers the webhook route in its own plugin scope, whose body parsers keep the raw body for the signature. */
export async function registerGithubWebhook(app: FastifyInstance, deps: GithubWebhookDeps): Promise<void> {
  const { weft } = deps;
  const tracker = deps.tracker ?? new PrTracker({ store: weft.store, config: weft.config });
  const background = new Map<string, { engine: Engine | undefined; done: Promise<void> }>();
  const resume =
    deps.resume ??
    ((runId: string) => {
      if (background.has(runId)) return;
      const entry: { engine: Engine | undefined; done: Promise<void> } = { engine: undefined, done: Promise.resolve() };
      background.set(runId, entry);
      entry.done = (async () => {
        const run = await weft.store.getRun(runId);
        // Someone executes it already: its engine claims the ready tasks itself.
        if (!run || run.status === 'running') return;
        await weft.executeRun(runId, { resumed: true, onEngine: (e) => (entry.engine = e) });
      })()
        .catch((err: unknown) => app.log.error({ err, runId }, 'resuming the run after a pull request event failed'))
        .finally(() => background.delete(runId));
    });

  app.addHook('onClose', async () => {
    const entries = [...background.values()];
    for (const e of entries) e.engine?.stop();
    await Promise.allSettled(entries.map((e) => e.done));
  });

  await app.register(async (scope) => {
    // Only in this scope: the raw text, because the signature covers the exact bytes GitHub sent.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

    scope.post(GITHUB_WEBHOOK_PATH, async (request, reply) => {
      const secret = deps.secret ?? process.env.WEFT_WEBHOOK_SECRET;
      const raw = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : typeof request.body === 'string' ? request.body : '';
      const signature = request.headers['x-hub-signature-256'];
      if (!secret) return fail(reply, 401, 'unauthorized', 'webhooks are refused: WEFT_WEBHOOK_SECRET is not set on this server');
      if (typeof signature !== 'string' || signature === '') return fail(reply, 401, 'unauthorized', 'missing X-Hub-Signature-256 header');
      if (!(await verify(secret, raw, signature))) return fail(reply, 401, 'unauthorized', 'X-Hub-Signature-256 does not match the body (check WEFT_WEBHOOK_SECRET)');

      const name = request.headers['x-github-event'];
      if (typeof name !== 'string' || name === '') return fail(reply, 400, 'invalid_input', 'missing X-GitHub-Event header');
      const payload = parsePayload(raw, String(request.headers['content-type'] ?? ''));
      if (payload === undefined) return fail(reply, 400, 'invalid_input', 'the body is not a JSON webhook payload');
      const delivery = request.headers['x-github-delivery'];
      if (name === 'ping') return reply.send({ ok: true, event: name, delivery: delivery ?? null, outcomes: [] });

      const deliveryId = typeof delivery === 'string' && delivery !== '' ? delivery : undefined;
      const workflows = deps.onEvent ? await deps.onEvent(name, payload as { [key: string]: Json }, deliveryId) : undefined;
      const outcomes = await tracker.handleWebhook(name, payload);
      for (const runId of runsWithWork(outcomes)) resume(runId);
      request.log.info({ event: name, delivery, outcomes: outcomes.length, workflowRuns: workflows?.runIds.length ?? 0 }, 'github webhook');
      return reply.send({ ok: true, event: name, delivery: delivery ?? null, outcomes, ...(workflows ? { workflows } : {}) });
    });
  });
}

/** Runs that have something to execute after these outcomes. */
export function runsWithWork(outcomes: TrackOutcome[]): string[] {
  return [...new Set(outcomes.filter((o) => o.reopened || o.unblocked.length > 0).map((o) => o.runId))];
}

async function verify(secret: string, raw: string, signature: string): Promise<boolean> {
  try {
    return await new Webhooks({ secret }).verify(raw, signature);
  } catch {
    return false;
  }
}

/** JSON, or GitHub's form encoding (`payload=<json>`); undefined when it is neither. */
function parsePayload(raw: string, contentType: string): unknown {
  let text = raw;
  if (contentType.includes('application/x-www-form-urlencoded')) text = new URLSearchParams(raw).get('payload') ?? '';
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}
