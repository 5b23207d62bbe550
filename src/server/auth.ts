/**
 * API tokens and roles. A viewer may only read; an operator may also start, change and cancel work;
 * an admin may also read the audit log. Tokens are compared by SHA-256 digest in constant time and
 * never logged or echoed: requests are attributed to the token's name.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InputError, WeftError } from '../core/errors.js';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export interface ApiToken {
  /** Shown in the audit log instead of the token. */
  name: string;
  role: Role;
  token: string;
}

/** Route config keys the auth hook reads. */
export interface AuthRouteConfig {
  /** No token needed (health, static dashboard files). */
  public?: boolean;
  /** Least role allowed; default viewer for GET/HEAD, operator otherwise. */
  role?: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who made the request: a token name, `anonymous` when auth is off, `unauthenticated` when refused. */
    actor: string;
    /** The caller's role; every caller is an admin when auth is off. */
    role: Role | null;
  }
  interface FastifyContextConfig {
    public?: boolean;
    role?: Role;
  }
}

/** Paths other engineers' routes own that must stay reachable without a token (GitHub signs its webhooks). */
const PUBLIC_PREFIXES = ['/api/v1/webhooks/'];

/** The tokens from the environment and config: WEFT_API_TOKEN is an admin; `server.tokens` entries name env variables. */
export function resolveTokens(env: NodeJS.ProcessEnv, configured: readonly { name: string; role: Role; env: string }[] = []): ApiToken[] {
  const tokens: ApiToken[] = [];
  const main = env.WEFT_API_TOKEN?.trim();
  // A blank token must not turn auth off: that is a deployment mistake, not a choice.
  if (main === '') throw new InputError('WEFT_API_TOKEN is set but empty: set a token of at least 16 characters, or unset it', { env: 'WEFT_API_TOKEN' });
  if (main) tokens.push({ name: 'WEFT_API_TOKEN', role: 'admin', token: main });
  for (const t of configured) {
    const value = env[t.env]?.trim();
    if (!value) throw new InputError(`server.tokens: ${t.name}: environment variable ${t.env} is not set`, { token: t.name, env: t.env });
    tokens.push({ name: t.name, role: t.role, token: value });
  }
  for (const t of tokens) {
    if (t.token.length < 16) throw new InputError(`API token ${t.name} is too short: use at least 16 characters`, { token: t.name });
  }
  return tokens;
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/** Refuses to serve beyond this machine without a token: everyone on the network could start agents. */
export function assertSafeListen(host: string, tokens: readonly ApiToken[]): void {
  if (tokens.length === 0 && !isLoopbackHost(host)) {
    throw new InputError(
      `refusing to listen on ${host} without an API token: anyone who can reach it could run agents. Set WEFT_API_TOKEN (at least 16 characters) or listen on 127.0.0.1`,
      { host },
    );
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Checks `Authorization: Bearer` and the role each route needs, as the last onRequest hook of every
 * route registered from now on (so the rate limiter, registered before, also counts refused calls).
 */
export function installAuth(app: FastifyInstance, tokens: readonly ApiToken[]): void {
  const known = tokens.map((t) => ({ ...t, digest: digest(t.token) }));
  app.decorateRequest('actor', '');
  app.decorateRequest('role', null);
  const check = async (request: FastifyRequest) => {
    if (known.length === 0) {
      request.actor = 'anonymous';
      request.role = 'admin';
      return;
    }
    const config = request.routeOptions.config as AuthRouteConfig;
    const path = request.url.split('?', 1)[0] ?? '';
    if (config.public || PUBLIC_PREFIXES.some((p) => path.startsWith(p))) {
      request.actor = 'public';
      return;
    }
    request.actor = 'unauthenticated';
    const header = request.headers.authorization;
    const presented = header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
    if (!presented) {
      throw new WeftError('unauthorized', 'missing API token: send `Authorization: Bearer <token>`');
    }
    const d = digest(presented);
    const match = known.find((t) => timingSafeEqual(t.digest, d));
    if (!match) throw new WeftError('unauthorized', 'invalid API token');
    request.actor = match.name;
    request.role = match.role;
    const needed: Role = config.role ?? (request.method === 'GET' || request.method === 'HEAD' ? 'viewer' : 'operator');
    if (RANK[match.role] < RANK[needed]) {
      throw new WeftError('forbidden', `token ${match.name} has role ${match.role}; this call needs ${needed}`, { role: match.role, needed });
    }
  };
  app.addHook('onRoute', (route) => {
    const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [...own, check] as typeof route.onRequest;
  });
}
