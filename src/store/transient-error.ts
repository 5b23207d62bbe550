/** Which database errors are worth waiting out: a lost connection, a server restarting, a lost race. */

/**
 * SQLSTATEs that say "try again": 08xxx connection exceptions, 57P01-57P03 (admin/crash shutdown,
 * cannot connect now), 53300 too many connections, 40001 serialization failure, 40P01 deadlock.
 */
const TRANSIENT_SQLSTATE = /^(08...|57P0[123]|53300|40001|40P01)$/;
const TRANSIENT_ERRNO = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
// node-postgres reports a dropped socket with messages only, no code.
const TRANSIENT_MESSAGE = /Connection terminated|terminating connection|not queryable|Client was closed|connection timeout|timeout exceeded when trying to connect|the database system is (starting up|shutting down)|server closed the connection/i;

/** True for an error that a later attempt on a fresh connection may not get. */
export function isTransientDbError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (TRANSIENT_SQLSTATE.test(code) || TRANSIENT_ERRNO.has(code))) return true;
  if (TRANSIENT_MESSAGE.test(err.message)) return true;
  // AggregateError from a dual-stack connect (ECONNREFUSED on ::1 and 127.0.0.1).
  if (err instanceof AggregateError) return err.errors.some(isTransientDbError);
  return false;
}
