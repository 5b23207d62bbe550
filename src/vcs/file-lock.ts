/**
 * A lock that works across processes on one host: a lock file created with O_EXCL (`wx`), holding the
 * owner's pid and host. A lock whose owner is dead (same host, pid gone) or that was not refreshed for
 * `staleMs` is taken over. Within one process, callers still queue on a SerialQueue first, so the file
 * is only contended between processes.
 */
import { open, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';

export interface FileLockOptions {
  /** A lock file not refreshed for this long is stale (its owner hung or is on a host that cannot be asked). */
  staleMs?: number;
  /** Pause between tries while another process holds the lock. */
  pollMs?: number;
  /** The clock staleness is measured with. */
  now?: () => number;
}

interface Owner {
  pid: number;
  host: string;
}

const HOST = hostname();

/** Runs `fn` while holding the lock file at `path` (created next to the data it guards). */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, opts: FileLockOptions = {}): Promise<T> {
  const staleMs = opts.staleMs ?? 60_000;
  const now = opts.now ?? Date.now;
  await acquire(path, staleMs, opts.pollMs ?? 20, now);
  // A long critical section keeps its lock fresh, so nobody takes it over as stale.
  const refresh = setInterval(() => void utimes(path, new Date(), new Date()).catch(() => undefined), Math.max(1000, staleMs / 3));
  refresh.unref();
  try {
    return await fn();
  } finally {
    clearInterval(refresh);
    await rm(path, { force: true });
  }
}

async function acquire(path: string, staleMs: number, pollMs: number, now: () => number): Promise<void> {
  for (;;) {
    try {
      const fh = await open(path, 'wx');
      try {
        await fh.writeFile(JSON.stringify({ pid: process.pid, host: HOST } satisfies Owner));
      } finally {
        await fh.close();
      }
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (await isStale(path, staleMs, now)) {
      // Renamed away first: of several processes seeing the same stale lock, only one removes it.
      const aside = `${path}.stale-${process.pid}-${Math.random().toString(36).slice(2)}`;
      await rename(path, aside).then(() => rm(aside, { force: true }), () => undefined);
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

async function isStale(path: string, staleMs: number, now: () => number): Promise<boolean> {
  const info = await stat(path).catch(() => null);
  if (!info) return false;
  const text = await readFile(path, 'utf8').catch(() => '');
  let owner: Owner | null = null;
  try {
    owner = JSON.parse(text) as Owner;
  } catch {
    // Being written right now, or garbage: only age can tell.
  }
  if (owner && owner.host === HOST && !isAlive(owner.pid)) return true;
  return now() - info.mtimeMs > staleMs;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
