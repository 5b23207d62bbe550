/** Runs git as argv (never a shell), without prompts, with errors that include git's own stderr. */
import { execFile } from 'node:child_process';

/** A git command that failed; the message names the command and carries git's stderr. */
export class GitError extends Error {
  readonly args: string[];
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(args: string[], exitCode: number | null, stderr: string, cwd: string) {
    super(`git ${args.join(' ')} failed${exitCode === null ? '' : ` (exit ${exitCode})`} in ${cwd}: ${stderr.trim() || 'no output'}`);
    this.name = 'GitError';
    this.args = args;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

export interface GitOptions {
  /** Resolve with the exit code instead of throwing on failure. */
  allowFail?: boolean;
  signal?: AbortSignal;
  /** Extra `-c key=value` settings placed before the subcommand. */
  config?: string[];
}

export interface GitOutput {
  stdout: string;
  stderr: string;
  code: number;
}

// No terminal prompts (credentials, editors) and no background gc racing with parallel worktree operations.
const GIT_ENV_OVERRIDES = { GIT_TERMINAL_PROMPT: '0', GIT_EDITOR: 'true', GIT_MERGE_AUTOEDIT: 'no', LC_ALL: 'C' };
const BASE_CONFIG = ['gc.auto=0', 'maintenance.auto=false'];

/** Runs `git <args>` in `cwd`; throws GitError (with stderr) unless `allowFail`. */
export function git(cwd: string, args: string[], opts: GitOptions = {}): Promise<GitOutput> {
  const config = [...BASE_CONFIG, ...(opts.config ?? [])].flatMap((c) => ['-c', c]);
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      [...config, ...args],
      { cwd, env: { ...process.env, ...GIT_ENV_OVERRIDES }, maxBuffer: 64 * 1024 * 1024, signal: opts.signal, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, stderr, code: 0 });
        const code = typeof err.code === 'number' ? err.code : null;
        if (err.name === 'AbortError') return reject(err);
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && code === null) {
          return reject(new GitError(args, null, `git is not installed or ${cwd} does not exist`, cwd));
        }
        if (opts.allowFail && code !== null) return resolve({ stdout, stderr, code });
        reject(new GitError(args, code, stderr || err.message, cwd));
      },
    );
  });
}

/** Trimmed stdout of a git command. */
export async function gitText(cwd: string, args: string[], opts: GitOptions = {}): Promise<string> {
  return (await git(cwd, args, opts)).stdout.trim();
}

/** Non-empty lines of a git command's stdout. */
export async function gitLines(cwd: string, args: string[], opts: GitOptions = {}): Promise<string[]> {
  return (await git(cwd, args, opts)).stdout.split('\n').filter((l) => l.trim() !== '');
}

const identityCache = new Map<string, Promise<string[]>>();

/**
 * `-c user.name=weft -c user.email=weft@localhost` for whichever of the two the repository lacks, so
 * commits work on fresh machines and CI; a configured identity is always kept.
 */
export function identityConfig(repo: string): Promise<string[]> {
  let cached = identityCache.get(repo);
  if (!cached) {
    cached = (async () => {
      const out: string[] = [];
      const name = await git(repo, ['config', 'user.name'], { allowFail: true });
      if (!name.stdout.trim() && !process.env.GIT_AUTHOR_NAME) out.push('user.name=weft');
      const email = await git(repo, ['config', 'user.email'], { allowFail: true });
      if (!email.stdout.trim() && !process.env.GIT_AUTHOR_EMAIL) out.push('user.email=weft@localhost');
      return out;
    })();
    identityCache.set(repo, cached);
  }
  return cached;
}

/** Turns an id into something safe inside a git ref name (no spaces, `..`, `~^:?*[\`, leading `-`/`.` or `.lock`). */
export function refSafe(id: string): string {
  const cleaned = id
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[-.]+/, '')
    .replace(/[-.]+$/, '')
    .replace(/\.lock$/i, '-lock');
  return cleaned || 'x';
}

/** Whether `ref` names an existing commit. */
export async function refExists(cwd: string, ref: string): Promise<boolean> {
  return (await git(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { allowFail: true })).code === 0;
}

/** One entry of `git worktree list --porcelain`. */
export interface WorktreeEntry {
  path: string;
  /** `refs/heads/...`, or null when detached. */
  branch: string | null;
}

/** Every worktree of the repository (the main one first). */
export async function listWorktrees(repo: string): Promise<WorktreeEntry[]> {
  const out = await git(repo, ['worktree', 'list', '--porcelain']);
  const entries: WorktreeEntry[] = [];
  for (const block of out.stdout.split('\n\n')) {
    let path: string | null = null;
    let branch: string | null = null;
    for (const line of block.split('\n')) {
      if (line.startsWith('worktree ')) path = line.slice('worktree '.length);
      else if (line.startsWith('branch ')) branch = line.slice('branch '.length);
    }
    if (path) entries.push({ path, branch });
  }
  return entries;
}
