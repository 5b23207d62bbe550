/** Named errors carrying a code and data; one top-level handler maps them to exit codes and HTTP statuses. */

export const ERROR_CODES = [
  'invalid_input',
  'not_found',
  'conflict',
  'unauthorized',
  'forbidden',
  'rate_limited',
  'unavailable',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Base class for errors weft raises on purpose. */
export class WeftError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** Bad user input: a document, a flag, a config key or a request body. Exit code 2, HTTP 400. */
export class InputError extends WeftError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('invalid_input', message, details);
  }
}

/** Bad input at a known place in a file; the message starts with `FILE:LINE:`. */
export class SourceError extends InputError {
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, message: string, details?: Record<string, unknown>) {
    super(`${file}:${line}: ${message}`, { file, line, ...details });
    this.file = file;
    this.line = line;
  }
}

/** Checks before a run failed (`weft doctor`'s failures): one line per failed check; exit code 2, HTTP 400. */
export class PreflightError extends InputError {
  readonly failures: string[];
  constructor(failures: string[]) {
    super(failures.join('\n'), { failures });
    this.failures = failures;
  }
}

/** The verify command already fails on the base branch, before any task ran; the message ends with its output. Exit code 2. */
export class BaselineError extends InputError {
  constructor(command: string, base: string, failure: string, output: string) {
    const tail = output.trimEnd().split('\n').slice(-40).join('\n');
    super(
      `${failure} on ${base} before any task ran: fix the base branch, or pass --allow-failing-baseline to judge each task by the failures it adds.\n--- output of \`${command}\` on ${base} ---\n${tail}`,
      { command, base, output: tail },
    );
  }
}

/** Something asked for does not exist. Exit code 2, HTTP 404. */
export class NotFoundError extends WeftError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('not_found', message, details);
  }
}

/** The request conflicts with the current state (e.g. a stale fencing token). HTTP 409. */
export class ConflictError extends WeftError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('conflict', message, details);
  }
}

/** A cancel (or similar) of a run or task that already finished: nothing changed. Exit code 2, HTTP 409. */
export class AlreadyFinishedError extends ConflictError {}

/** The infrastructure weft depends on, named in outage errors. */
export const INFRASTRUCTURE = ['database', 'queue'] as const;
export type Infrastructure = (typeof INFRASTRUCTURE)[number];

/**
 * The database or the queue stayed unreachable longer than weft waits for it: not the work's fault.
 * Exit code 3, HTTP 503.
 */
export class InfrastructureError extends WeftError {
  readonly component: Infrastructure;
  constructor(component: Infrastructure, message: string, details?: Record<string, unknown>) {
    super('unavailable', `${component} unavailable: ${message}`, { component, ...details });
    this.component = component;
  }
}

/** Process exit code for an error: 2 for bad input, 3 when the database or queue failed, 1 for everything else. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof InputError || err instanceof NotFoundError || err instanceof AlreadyFinishedError) return 2;
  if (err instanceof InfrastructureError) return 3;
  return 1;
}

/** HTTP status for an error. */
export function httpStatusFor(err: unknown): number {
  if (!(err instanceof WeftError)) return 500;
  switch (err.code) {
    case 'invalid_input':
      return 400;
    case 'unauthorized':
      return 401;
    case 'forbidden':
      return 403;
    case 'not_found':
      return 404;
    case 'conflict':
      return 409;
    case 'rate_limited':
      return 429;
    case 'unavailable':
      return 503;
    default:
      return 500;
  }
}
