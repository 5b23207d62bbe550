/** The local forge: no pull requests; the run's integration branch (and `--merge`) is the result. */
import { InputError } from '../core/errors.js';
import type { Forge, MergeRequest, OpenPullRequestRequest, PullRequestInfo, PullRequestStatus, ReviewComment } from './forge.js';

/** A forge without pull requests, so runs without GitHub go through the same code paths. */
export class LocalForge implements Forge {
  readonly kind = 'local' as const;
  readonly repo = null;
  readonly opensPullRequests = false;

  findOpenPullRequest(_head: string): Promise<PullRequestInfo | undefined> {
    return Promise.resolve(undefined);
  }

  openPullRequest(req: OpenPullRequestRequest): Promise<{ pr: PullRequestInfo; created: boolean }> {
    return Promise.reject(noPullRequests(`open a pull request for ${req.head}`));
  }

  updatePullRequest(number: number): Promise<PullRequestInfo> {
    return Promise.reject(noPullRequests(`update pull request #${number}`));
  }

  getPullRequest(number: number): Promise<PullRequestStatus> {
    return Promise.reject(noPullRequests(`read pull request #${number}`));
  }

  mergePullRequest(number: number, _req: MergeRequest): Promise<{ merged: boolean; sha: string | null; message: string }> {
    return Promise.reject(noPullRequests(`merge pull request #${number}`));
  }

  addLabels(): Promise<void> {
    return Promise.resolve();
  }

  requestReviewers(): Promise<void> {
    return Promise.resolve();
  }

  addAssignees(): Promise<void> {
    return Promise.resolve();
  }

  listReviewComments(): Promise<ReviewComment[]> {
    return Promise.resolve([]);
  }

  comment(): Promise<void> {
    return Promise.resolve();
  }
}

function noPullRequests(what: string): InputError {
  return new InputError(`cannot ${what}: the local forge has no pull requests (use --pr with a GitHub remote and GITHUB_TOKEN)`);
}
