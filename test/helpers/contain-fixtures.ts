/** Shared fixtures of the containment tests: a git repository with one commit, and a weft opened on it. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPlan } from '../../src/plan/build-plan.js';
import { openWeft, type Weft } from '../../src/weft.js';

/** Runs git with a fixed identity; returns trimmed stdout. */
export const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' }).trim();

/** A repository at `dir` on branch main with README.md, .gitignore (.weft/) and one commit. */
export function makeRepo(dir: string): string {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'README.md'), '# app\n');
  writeFileSync(join(dir, '.gitignore'), '.weft/\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'init');
  return dir;
}

/** Opens weft in `repo` with this weft.config.yaml text and its database in `.weft/`. */
export async function openIn(repo: string, configYaml: string): Promise<Weft> {
  writeFileSync(join(repo, 'weft.config.yaml'), configYaml);
  return openWeft({ cwd: repo, db: join(repo, '.weft', 'weft.db') });
}

/** Plans `doc` and runs it to the end with `agent`; returns the run id and its final status. */
export async function runDoc(weft: Weft, repo: string, doc: string, agent: string, extra: { maxAttempts?: number; concurrency?: number } = {}) {
  const plan = buildPlan({ requirements: { text: doc, file: 'REQUIREMENTS.md' } });
  const run = await weft.createRun(plan, { agent, repo, maxAttempts: extra.maxAttempts ?? 1, concurrency: extra.concurrency ?? 2 });
  const outcome = await weft.executeRun(run.id, { heartbeatMs: 100 });
  return { runId: run.id, status: outcome.run.status, counts: outcome.counts };
}
