/**
 * What an agent may change, checked after each attempt in every mode (with or without a sandbox): only
 * its own branch and worktree. Before the agent starts, the repository's refs and the user's checkout
 * (HEAD, index, working tree) are recorded; afterwards a ref that moved (the base branch, the integration
 * branch other than by merges, tags, the stash) or a changed checkout fails the attempt as `violation`,
 * naming what changed. An unfinished merge, rebase, cherry-pick or revert, or conflict markers in changed
 * files, fail it too (nothing is committed).
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { AgentError } from '../agents/agent-backend.js';
import { git, gitText } from './git.js';

export interface GuardScope {
  /** The user's checkout (the repository's main worktree). */
  root: string;
  /** The attempt's worktree. */
  worktree: string;
  /** The attempt's own branch (`weft/<run>/<task>-a<n>`). */
  branch: string;
  /** The run's integration branch: it may move, by merge commits only (weft's merge queue). */
  integrationBranch: string;
  /** Branches under this prefix other than the integration branch belong to weft's attempts and other runs; not checked here. */
  branchPrefix: string;
  /** Paths in the checkout weft itself writes (`.weft/`, a worktrees folder inside it); absolute or relative to `root`. */
  ignorePaths?: string[];
}

/** The state recorded before the agent runs. */
export interface GuardSnapshot {
  refs: Map<string, string>;
  checkout: CheckoutState;
  /** The worktree's HEAD commit when the agent started. */
  start: string;
  /** An operation weft itself left in progress for the agent to finish (a PR rebase attempt's merge). */
  operationBefore: string | null;
}

interface CheckoutState {
  head: string;
  index: string;
  /** Dirty and untracked paths -> their status and content digest. */
  files: Map<string, string>;
}

const IN_PROGRESS: readonly [string, string][] = [
  ['MERGE_HEAD', 'a merge'],
  ['CHERRY_PICK_HEAD', 'a cherry-pick'],
  ['REVERT_HEAD', 'a revert'],
  ['rebase-merge', 'a rebase'],
  ['rebase-apply', 'a rebase (or git am)'],
];

/** Records refs, the user's checkout and the worktree's state right before the agent starts. */
export async function snapshotAttempt(scope: GuardScope): Promise<GuardSnapshot> {
  const [refs, checkout, start, operationBefore] = await Promise.all([
    readRefs(scope.root),
    readCheckout(scope),
    gitText(scope.worktree, ['rev-parse', 'HEAD']),
    operationInProgress(scope.worktree),
  ]);
  return { refs, checkout, start, operationBefore };
}

/**
 * Compares with the snapshot. Throws AgentError('violation') naming every ref and checkout path that
 * changed; then, when `agentSucceeded`, AgentError('agent') for an unfinished operation or conflict markers.
 */
export async function checkAttempt(scope: GuardScope, before: GuardSnapshot, opts: { agentSucceeded: boolean }): Promise<void> {
  const problems = [...(await refChanges(scope, before.refs)), ...checkoutChanges(before.checkout, await readCheckout(scope))];
  if (problems.length > 0) {
    throw new AgentError('violation', `the agent changed what is not its own: ${problems.slice(0, 20).join('; ')}${problems.length > 20 ? `; and ${problems.length - 20} more` : ''}`, {
      data: { violations: problems.slice(0, 100) },
    });
  }
  if (!opts.agentSucceeded) return;
  const op = await operationInProgress(scope.worktree);
  if (op && op !== before.operationBefore) throw new AgentError('agent', `the agent left ${op} in progress in its worktree; finish or abort it (nothing was committed)`);
  const unmerged = op ? [] : (await gitLinesZ(scope.worktree, ['ls-files', '-u', '-z'])).map((l) => l.slice(l.indexOf('\t') + 1));
  if (unmerged.length > 0) throw new AgentError('agent', `unmerged paths left in the worktree: ${[...new Set(unmerged)].slice(0, 20).join(', ')} (nothing was committed)`);
  const marked = await filesWithConflictMarkers(scope.worktree, before.start);
  if (marked.length > 0) {
    throw new AgentError('agent', `conflict markers left in: ${marked.slice(0, 20).join(', ')} (nothing was committed)`, { data: { conflictMarkers: marked.slice(0, 100) } });
  }
}

async function readRefs(root: string): Promise<Map<string, string>> {
  const out = await gitText(root, ['for-each-ref', '--format=%(refname) %(objectname)']);
  const refs = new Map<string, string>();
  for (const line of out.split('\n')) {
    const space = line.lastIndexOf(' ');
    if (space > 0) refs.set(line.slice(0, space), line.slice(space + 1));
  }
  return refs;
}

const shortRef = (ref: string) => (ref.startsWith('refs/heads/') ? `branch ${ref.slice(11)}` : ref.startsWith('refs/tags/') ? `tag ${ref.slice(10)}` : ref);
const short = (sha: string) => sha.slice(0, 10);

async function refChanges(scope: GuardScope, before: Map<string, string>): Promise<string[]> {
  const after = await readRefs(scope.root);
  const own = `refs/heads/${scope.branch}`;
  const integration = `refs/heads/${scope.integrationBranch}`;
  const weftOwned = `refs/heads/${scope.branchPrefix}`;
  const problems: string[] = [];
  for (const ref of new Set([...before.keys(), ...after.keys()])) {
    if (ref === own || ref.startsWith('refs/remotes/') || ref.startsWith('refs/weft/')) continue;
    if (ref !== integration && ref.startsWith(weftOwned)) continue;
    const was = before.get(ref);
    const now = after.get(ref);
    if (was === now) continue;
    if (ref === integration && was && now) {
      if (await mergedForward(scope.root, was, now)) continue;
      // weft's own branch is put back (only if it is still where the agent left it); the user's refs are only reported.
      const back = await git(scope.root, ['update-ref', '-m', 'weft: undo an agent moving the integration branch', ref, was, now], { allowFail: true });
      problems.push(`${shortRef(ref)} moved from ${short(was)} to ${short(now)}${back.code === 0 ? ' (put back)' : ''}`);
      continue;
    }
    if (!was) problems.push(`${shortRef(ref)} was created`);
    else if (!now) problems.push(`${shortRef(ref)} was deleted`);
    else problems.push(`${shortRef(ref)} moved from ${short(was)} to ${short(now)}`);
  }
  return problems;
}

/** The integration branch moves only forward, by merge commits (weft's merge queue), never to an agent's own commit. */
async function mergedForward(root: string, was: string, now: string): Promise<boolean> {
  const ancestor = await git(root, ['merge-base', '--is-ancestor', was, now], { allowFail: true });
  if (ancestor.code !== 0) return false;
  const plain = await gitText(root, ['rev-list', '--first-parent', '--no-merges', `${was}..${now}`]);
  return plain === '';
}

async function readCheckout(scope: GuardScope): Promise<CheckoutState> {
  const root = scope.root;
  const ignore = (scope.ignorePaths ?? []).map((p) => (isAbsolute(p) ? relative(root, p) : p)).filter((p) => p && !p.startsWith('..') && !isAbsolute(p));
  const ignored = (path: string) => ignore.some((p) => path === p || path.startsWith(p.endsWith(sep) || p.endsWith('/') ? p : `${p}/`));
  // --no-optional-locks: concurrent checks must not fight over the checkout's index.lock.
  const head = (await git(root, ['--no-optional-locks', 'rev-parse', '--symbolic-full-name', 'HEAD'], { allowFail: true })).stdout.trim();
  const sha = (await git(root, ['--no-optional-locks', 'rev-parse', '-q', '--verify', 'HEAD'], { allowFail: true })).stdout.trim();
  const index = createHash('sha256').update((await git(root, ['--no-optional-locks', 'ls-files', '-s', '-z'])).stdout).digest('hex');
  const status = (await git(root, ['--no-optional-locks', 'status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignore-submodules=all'])).stdout;
  const files = new Map<string, string>();
  const entries = status.split('\0');
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (entry.length < 4) continue;
    const code = entry.slice(0, 2);
    const path = entry.slice(3);
    // A rename or copy names its source next.
    if (code[0] === 'R' || code[0] === 'C') i++;
    if (ignored(path)) continue;
    files.set(path, `${code} ${await digest(join(root, path))}`);
  }
  return { head: `${head} ${sha}`, index, files };
}

async function digest(path: string): Promise<string> {
  try {
    const s = await stat(path);
    if (!s.isFile()) return s.isDirectory() ? 'dir' : 'special';
    // Huge files: size and time say enough.
    if (s.size > 8 * 1024 * 1024) return `${s.size}:${s.mtimeMs}`;
    return createHash('sha256').update(await readFile(path)).digest('hex');
  } catch {
    return 'missing';
  }
}

function checkoutChanges(before: CheckoutState, after: CheckoutState): string[] {
  const problems: string[] = [];
  if (before.head !== after.head) problems.push(`the checkout's HEAD changed (${describeHead(before.head)} -> ${describeHead(after.head)})`);
  if (before.index !== after.index) problems.push("the checkout's index (staged files) changed");
  for (const path of new Set([...before.files.keys(), ...after.files.keys()])) {
    const was = before.files.get(path);
    const now = after.files.get(path);
    if (was === now) continue;
    if (!was) problems.push(`${path} in the checkout was ${now?.startsWith(' D') || now?.startsWith('D') ? 'deleted' : now?.startsWith('??') ? 'created' : 'changed'}`);
    else if (!now) problems.push(`${path} in the checkout was changed back or removed`);
    else problems.push(`${path} in the checkout was ${now.endsWith('missing') ? 'deleted' : 'changed'}`);
  }
  return problems;
}

const describeHead = (h: string) => {
  const [name, sha] = h.split(' ');
  return `${name === 'HEAD' ? 'detached' : name?.replace(/^refs\/heads\//, '')} at ${short(sha ?? '')}`;
};

/** What the worktree has in progress (a merge, a rebase, ...), or null. */
async function operationInProgress(worktree: string): Promise<string | null> {
  const gitDir = resolve(worktree, await gitText(worktree, ['rev-parse', '--git-dir']));
  for (const [name, what] of IN_PROGRESS) {
    if (await stat(join(gitDir, name)).then(() => true, () => false)) return what;
  }
  return null;
}

async function gitLinesZ(cwd: string, args: string[]): Promise<string[]> {
  return (await git(cwd, args)).stdout.split('\0').filter(Boolean);
}

const MARKERS = /^<{7}(?: |$)[\s\S]*?^={7}$[\s\S]*?^>{7}(?: |$)/m;

/** Changed or new files (since `start`, committed or not) that still hold a conflict block. */
async function filesWithConflictMarkers(worktree: string, start: string): Promise<string[]> {
  const changed = await gitLinesZ(worktree, ['diff', '--name-only', '-z', '--no-renames', '--diff-filter=AMRTC', start]);
  const untracked = await gitLinesZ(worktree, ['ls-files', '--others', '--exclude-standard', '-z']);
  const marked: string[] = [];
  for (const path of [...new Set([...changed, ...untracked])]) {
    try {
      const s = await stat(join(worktree, path));
      if (!s.isFile() || s.size > 4 * 1024 * 1024) continue;
      const text = await readFile(join(worktree, path), 'utf8');
      if (text.includes('<<<<<<<') && MARKERS.test(text)) marked.push(path);
    } catch {
      // Removed meanwhile: nothing to check.
    }
  }
  return marked;
}
