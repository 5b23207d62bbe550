/** One error handler: every failure leaves as `{ "error": { "code", "message", "details" } }`. */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { httpStatusFor, WeftError, type ErrorCode } from '../core/errors.js';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: Record<string, unknown> };
}

/** The JSON body for an error. */
export function errorBody(code: ErrorCode, message: string, details: Record<string, unknown> = {}): ErrorBody {
  return { error: { code, message, details } };
}

const CODE_FOR_STATUS: Record<number, ErrorCode> = { 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 429: 'rate_limited' };

interface Issue {
  in: string;
  field: string;
  message: string;
}

interface ValidationIssue {
  keyword: string;
  instancePath: string;
  message?: string | undefined;
  params?: { keys?: unknown } | undefined;
}

/** Names the offending field in each validation issue: `body.requirements: expected ...`. */
function validationIssues(err: { validation: ValidationIssue[]; validationContext?: string | undefined }): Issue[] {
  const where = err.validationContext ?? 'body';
  return err.validation.flatMap((v) => {
    const field = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const keys = v.params?.keys;
    // An unknown key (a typo) is named as the field itself.
    if (v.keyword === 'unrecognized_keys' && Array.isArray(keys)) {
      return keys.map((k) => ({ in: where, field: field ? `${field}.${String(k)}` : String(k), message: 'unknown field' }));
    }
    return [{ in: where, field, message: v.message ?? 'invalid' }];
  });
}

function describeIssue(i: Issue): string {
  return `${i.in}${i.field ? `.${i.field}` : ''}: ${i.message}`;
}

/**
 * Every 5xx reaches stderr with its request id, whether or not request logging (`--log`) is on: the
 * client's message points here.
 */
function logInternal(request: FastifyRequest, err: Error): void {
  process.stderr.write(`weft serve: request ${request.id} ${request.method} ${request.url.split('?', 1)[0]} failed: ${err.stack ?? err.message}\n`);
}

/** Installs the error and not-found handlers. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | WeftError | Error, request: FastifyRequest, reply: FastifyReply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const issues = validationIssues(err);
      return reply.code(400).send(errorBody('invalid_input', issues.map(describeIssue).join('; '), { issues }));
    }
    if (err instanceof WeftError) {
      const status = httpStatusFor(err);
      if (status >= 500) {
        request.log.error({ err }, 'request failed');
        logInternal(request, err);
      }
      return reply.code(status).send(errorBody(err.code, err.message, err.details ?? {}));
    }
    if (isResponseSerializationError(err)) {
      request.log.error({ err, issues: err.cause.issues }, 'response does not match its schema');
      logInternal(request, err);
      return reply.code(500).send(errorBody('internal', 'internal error: the response did not match its schema'));
    }
    const status = (err as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      const code = CODE_FOR_STATUS[status] ?? 'invalid_input';
      const fastifyCode = (err as FastifyError).code;
      const message =
        fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? `request body is too large (limit ${app.initialConfig.bodyLimit ?? 0} bytes)`
          : fastifyCode === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? `unsupported content type ${JSON.stringify(request.headers['content-type'] ?? '')}: send application/json`
            : err.message;
      return reply.code(status).send(errorBody(code, message, fastifyCode ? { fastifyCode } : {}));
    }
    request.log.error({ err }, 'request failed');
    logInternal(request, err);
    // Internal details (paths, SQL, stack) stay in the server log, found by the request id.
    return reply.code(500).send(errorBody('internal', `internal error (see the server log, request ${request.id})`, { requestId: request.id }));
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0];
    return reply.code(404).send(errorBody('not_found', `no route ${request.method} ${path}`, { method: request.method, path }));
  });
}
