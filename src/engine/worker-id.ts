/** Lease owner ids (`host:pid:nonce`) and the check that lets a restart reclaim a dead process's leases at once. */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** A unique owner id for this process's engine. */
export function newWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/** True when the owner ran on this machine and its process no longer exists. */
export function isOwnerGone(owner: string): boolean {
  const [host, pidText] = owner.split(':');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return !owner.startsWith(currentPrefix());
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function currentPrefix(): string {
  return `${hostname()}:${process.pid}:`;
}
