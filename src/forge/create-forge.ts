/** Picks the forge for a run: GitHub when a token and a GitHub repository are known, otherwise the local one. */
import { redactUrl } from '../core/redact.js';
import { InputError } from '../core/errors.js';
import type { Forge } from './forge.js';
import { remoteUrl } from './git-remote.js';
import { GithubForge, parseGithubRemote, parseRepoSlug } from './github-forge.js';
import { LocalForge } from './local-forge.js';

export interface ForgeTarget {
  /** The repository root (to read the remote's URL). */
  repo: string | null;
  remote: string;
  /** `--github-repo OWNER/NAME`; wins over the remote's URL. */
  githubRepo: string | null;
}

/** `owner/name` for a run: the flag, else parsed from the remote's URL; InputError saying which to fix. */
export async function resolveGithubRepo(target: ForgeTarget): Promise<{ owner: string; name: string }> {
  if (target.githubRepo) return parseRepoSlug(target.githubRepo);
  if (!target.repo) throw new InputError('pull requests need a repository (--repo) or --github-repo OWNER/NAME');
  const url = await remoteUrl(target.repo, target.remote);
  const parsed = parseGithubRemote(url);
  if (!parsed) {
    throw new InputError(`cannot tell the GitHub repository from remote "${target.remote}" (${redactUrl(url)}); pass --github-repo OWNER/NAME`, { remote: target.remote });
  }
  return { owner: parsed.owner, name: parsed.name };
}

/** The GitHub forge for `target` (InputError when GITHUB_TOKEN is missing or the repository is unknown). */
export async function createGithubForge(target: ForgeTarget, env: NodeJS.ProcessEnv = process.env): Promise<GithubForge> {
  const token = env.GITHUB_TOKEN ?? env.GH_TOKEN;
  if (!token) throw new InputError('pull requests need a GitHub token: set GITHUB_TOKEN (GITHUB_API_URL for GitHub Enterprise)');
  const { owner, name } = await resolveGithubRepo(target);
  return new GithubForge({ owner, name, token, ...(env.GITHUB_API_URL ? { baseUrl: env.GITHUB_API_URL } : {}) });
}

/** GitHub when PRs are enabled, else the local forge. */
export async function createForge(target: ForgeTarget & { enabled: boolean }, env: NodeJS.ProcessEnv = process.env): Promise<Forge> {
  return target.enabled ? createGithubForge(target, env) : new LocalForge();
}

/** A remote URL without credentials, for messages (the one implementation lives in core/redact.ts). */
export { redactUrl };
