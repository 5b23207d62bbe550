/** The git side of pull requests: pushing, fetching and deleting branches on the remote (argv, never a shell). */
import { AgentError } from '../agents/agent-backend.js';
import { InputError } from '../core/errors.js';
import { git, gitText } from '../vcs/git.js';

/**
 * The URL of `remote` as configured (before `insteadOf` rewriting, so a GitHub URL stays one even when
 * git is told to use a mirror); InputError naming the remote when it does not exist.
 */
export async function remoteUrl(repo: string, remote: string): Promise<string> {
  const configured = await git(repo, ['config', '--get', `remote.${remote}.url`], { allowFail: true });
  if (configured.code === 0 && configured.stdout.trim()) return configured.stdout.trim();
  const out = await git(repo, ['remote', 'get-url', remote], { allowFail: true });
  if (out.code !== 0 || !out.stdout.trim()) {
    throw new InputError(`git remote "${remote}" does not exist in ${repo} (add it with \`git remote add ${remote} URL\` or pass --remote)`, { remote });
  }
  return out.stdout.trim();
}

/** Where pushes to `remote` go (its push URL when it has one): branch lookups and fetches go there too. */
async function pushTarget(repo: string, remote: string): Promise<string> {
  const out = await git(repo, ['remote', 'get-url', '--push', remote], { allowFail: true });
  return out.code === 0 && out.stdout.trim() ? out.stdout.trim() : remote;
}

/** The commit `refs/heads/<branch>` points to on the remote, or null when the branch is not there. */
export async function remoteBranchSha(repo: string, remote: string, branch: string): Promise<string | null> {
  const out = await git(repo, ['ls-remote', '--heads', await pushTarget(repo, remote), `refs/heads/${branch}`], { allowFail: true });
  if (out.code !== 0) throw pushError(`read branches of ${remote}`, out.stderr);
  const line = out.stdout.split('\n').find((l) => l.endsWith(`\trefs/heads/${branch}`));
  return line ? line.split('\t')[0]! : null;
}

/** Pushes `ref` (a local branch or commit) to `refs/heads/<branch>` on the remote, replacing what is there when `force`. */
export async function pushBranch(repo: string, remote: string, ref: string, branch: string, opts: { force?: boolean } = {}): Promise<string> {
  const sha = await gitText(repo, ['rev-parse', '--verify', `${ref}^{commit}`]);
  const out = await git(repo, ['push', '--quiet', '--porcelain', remote, `${opts.force ? '+' : ''}${sha}:refs/heads/${branch}`], { allowFail: true });
  if (out.code !== 0) throw pushError(`push ${branch} to ${remote}`, out.stderr || out.stdout);
  return sha;
}

/**
 * Makes sure the remote has `branch`, creating it at `ref` when missing; returns whether it was created.
 * A plain (non-force) push: when the branch exists and has moved on, the rejection means "already there".
 */
export async function ensureRemoteBranch(repo: string, remote: string, ref: string, branch: string): Promise<boolean> {
  const sha = await gitText(repo, ['rev-parse', '--verify', `${ref}^{commit}`]);
  const out = await git(repo, ['push', '--porcelain', remote, `${sha}:refs/heads/${branch}`], { allowFail: true });
  const line = out.stdout.split('\n').find((l) => l.includes(`:refs/heads/${branch}`)) ?? '';
  if (out.code === 0) return line.startsWith('*');
  if (line.startsWith('!') && /\[rejected\]/.test(line)) return false;
  throw pushError(`create ${branch} on ${remote}`, out.stderr || out.stdout);
}

/** Fetches a remote branch into the repository `cwd` belongs to; returns its commit. */
export async function fetchBranch(cwd: string, remote: string, branch: string): Promise<string> {
  const out = await git(cwd, ['fetch', '--quiet', '--no-tags', await pushTarget(cwd, remote), `refs/heads/${branch}`], { allowFail: true });
  if (out.code !== 0) throw pushError(`fetch ${branch} from ${remote}`, out.stderr);
  return gitText(cwd, ['rev-parse', 'FETCH_HEAD']);
}

/** Deletes a branch on the remote; false when it was already gone. */
export async function deleteRemoteBranch(repo: string, remote: string, branch: string): Promise<boolean> {
  if (!(await remoteBranchSha(repo, remote, branch))) return false;
  const out = await git(repo, ['push', '--quiet', remote, '--delete', `refs/heads/${branch}`], { allowFail: true });
  if (out.code !== 0) throw pushError(`delete ${branch} on ${remote}`, out.stderr);
  return true;
}

/** A git transport failure as an attempt error: rejected credentials fail fast, anything else is retried. */
function pushError(what: string, stderr: string): AgentError {
  // Credentials in a remote URL never reach a message.
  const text = (stderr.trim() || 'no output').replace(/(\w[\w+.-]*:\/\/)[^@/\s]+@/g, '$1***@');
  const auth = /authentication failed|permission denied|could not read username|403|401/i.test(text);
  return new AgentError(auth ? 'auth' : 'network', `git could not ${what}: ${text.split('\n').slice(-3).join(' ')}`);
}
