/**
 * Where attempt worktrees live. Not under `.git/`: agents (Claude Code first of all) treat every path
 * there as sensitive and refuse to edit it. The default is a per-repository folder in the user's cache
 * directory, so worktrees never show up as untracked files in the user's checkout either.
 */
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';

/** Worktrees of runs started before the move (resume and clean still find them). */
export function legacyWorktreesDir(commonDir: string): string {
  return join(commonDir, 'weft-worktrees');
}

/**
 * `$XDG_CACHE_HOME/weft/worktrees/<repo>-<id>/` (default `~/.cache`), where `<id>` is a hash of the
 * repository's real git directory: two clones of one project never share a folder.
 */
export function defaultWorktreesDir(root: string, commonDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.XDG_CACHE_HOME?.trim() || join(env.HOME?.trim() || homedir(), '.cache');
  const id = createHash('sha256').update(commonDir).digest('hex').slice(0, 12);
  const name = basename(root).replace(/[^A-Za-z0-9._-]+/g, '-') || 'repo';
  return join(cache, 'weft', 'worktrees', `${name}-${id}`);
}
