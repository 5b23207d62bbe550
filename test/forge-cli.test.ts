// The PR commands through the real CLI: `weft run --pr`, `weft resume`, `weft status --json`, `weft prs`.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startGithubStandIn, type StandIn } from './github-stand-in.js';

const MAIN = join(fileURLToPath(new URL('..', import.meta.url)), 'src', 'cli', 'main.ts');
const TSX = import.meta.resolve('tsx');
const TOKEN = 'ghp_cli_token';
const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' }).trim();

const AGENT = `
import { writeFileSync, mkdirSync } from 'node:fs';
mkdirSync('out', { recursive: true });
writeFileSync('out/' + process.env.WEFT_TASK_ID + '.txt', 'attempt ' + process.env.WEFT_ATTEMPT + '\\n');
`;

const DOC = `# Notes

## N1: Storage
Type: feature

Store notes.

## N2: Docs
Type: docs
Depends on: N1

Document notes.
`;

describe('weft run --pr (CLI)', () => {
  let dir: string;
  let repo: string;
  let standIn: StandIn;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'weft-pr-cli-'));
    repo = join(dir, 'repo');
    const bare = join(dir, 'origin.git');
    mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'README.md'), '# notes\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'init');
    git(dir, 'init', '-q', '--bare', '-b', 'main', bare);
    git(repo, 'remote', 'add', 'origin', bare);
    git(repo, 'push', '-q', 'origin', 'main');
    writeFileSync(join(dir, 'agent.mjs'), AGENT);
    writeFileSync(join(dir, 'REQUIREMENTS.md'), DOC);
    writeFileSync(join(dir, 'weft.config.yaml'), 'pr:\n  pollSeconds: 0\n  labels: [weft, automated]\n');
    standIn = await startGithubStandIn({ token: TOKEN, bareRepo: bare });
  });
  after(async () => {
    await standIn.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function weft(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    const full: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', GITHUB_TOKEN: TOKEN, GITHUB_API_URL: standIn.url, ...env };
    delete full.WEFT_DB;
    return new Promise((resolve) => {
      execFile(process.execPath, ['--import', TSX, MAIN, ...args, '--db', join(dir, 'weft.db')], { cwd: dir, env: full }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
    });
  }

  it('opens one PR per task, shows them in status and prs, and a resume opens none again', { timeout: 120_000 }, async () => {
    const agent = `${process.execPath} ${join(dir, 'agent.mjs')}`;
    const run = await weft(['run', 'REQUIREMENTS.md', '--repo', repo, '--agent', agent, '--pr', '--github-repo', 'acme/shop', '--json', '--quiet']);
    assert.equal(run.code, 0, run.stderr);
    const status = JSON.parse(run.stdout) as { run: { id: string }; tasks: { id: string; pr: { url: string; number: number; state: string } | null }[] };
    assert.equal(standIn.pulls.size, 2);
    for (const t of status.tasks) {
      assert.equal(t.pr?.state, 'open', t.id);
      const pull = standIn.pulls.get(t.pr.number)!;
      assert.equal(pull.head, `weft/${status.run.id}/${t.id}`);
      assert.ok(pull.labels.includes('automated') && pull.labels.includes('weft'));
    }

    const resumed = await weft(['resume', status.run.id, '--quiet']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(standIn.pulls.size, 2, 'no duplicates after resume');

    const prs = await weft(['prs', '--json']);
    assert.equal(prs.code, 0, prs.stderr);
    const listed = JSON.parse(prs.stdout) as { pullRequests: { taskId: string; state: string }[]; stats: { total: number; byState: { open: number } } };
    assert.deepEqual(listed.pullRequests.map((p) => p.taskId).sort(), ['N1', 'N2']);
    assert.equal(listed.stats.total, 2);
    assert.equal(listed.stats.byState.open, 2);
    const text = await weft(['prs']);
    assert.match(text.stdout, /#\d+\s+open\s+\S+\s+task N1/);
    assert.match(text.stdout, /2 pull request\(s\): 2 open/);

    // A human merges N1 on GitHub; `weft prs sync` polls it.
    const n1 = standIn.pulls.get(status.tasks.find((t) => t.id === 'N1')!.pr!.number)!;
    n1.state = 'closed';
    n1.merged = true;
    n1.mergedAt = n1.closedAt = new Date().toISOString();
    const sync = await weft(['prs', 'sync', '--json']);
    assert.equal(sync.code, 0, sync.stderr);
    const outcomes = (JSON.parse(sync.stdout) as { outcomes: { taskId: string; to: string }[] }).outcomes;
    assert.deepEqual(outcomes.find((o) => o.taskId === 'N1')?.to, 'merged');
    const after = JSON.parse((await weft(['status', status.run.id, '--json'])).stdout) as typeof status;
    assert.equal(after.tasks.find((t) => t.id === 'N1')?.pr?.state, 'merged');
  });

  it('bad input: no token or no repository is exit code 2 with a clear message', async () => {
    const agent = `${process.execPath} ${join(dir, 'agent.mjs')}`;
    const noToken = await weft(['run', 'REQUIREMENTS.md', '--repo', repo, '--agent', agent, '--pr', '--github-repo', 'acme/shop'], { GITHUB_TOKEN: '' });
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /GITHUB_TOKEN/);
    const noRepo = await weft(['run', 'REQUIREMENTS.md', '--repo', repo, '--agent', agent, '--pr']);
    assert.equal(noRepo.code, 2);
    assert.match(noRepo.stderr, /--github-repo OWNER\/NAME/);
    assert.equal((await weft(['prs', 'cleanup', '--older-than', 'soon'])).code, 2);
  });
});
