/** One attempt in full, for the dashboard: the prompt it was sent, its output, verify output, usage, files changed and the diff. */
import { readFile } from 'node:fs/promises';
import { NotFoundError } from '../core/errors.js';
import { attemptPromptPath } from '../engine/attempt-files.js';
import type { AttemptRecord, Json, RunRecord, TaskRecord } from '../store/records.js';
import { gitText } from '../vcs/git.js';
import type { Weft } from '../weft.js';
import { attemptToApi } from './api-json.js';

const MAX_DIFF = 256 * 1024;

function strings(v: Json | undefined): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * The diff an attempt made. The engine keeps its commits' subjects; they are found on the task's
 * branch, else on the run's integration branch (task branches go once integrated). Bounded; null when
 * there is nothing to show.
 */
async function diffOf(repo: string | null, branches: (string | null)[], subjects: string[]): Promise<{ text: string; truncated: boolean } | null> {
  if (!repo || subjects.length === 0) return null;
  const wanted = new Set(subjects);
  for (const branch of branches) {
    if (!branch) continue;
    try {
      const log = await gitText(repo, ['log', '--max-count=5000', '--format=%H%x09%s', `refs/heads/${branch}`]);
      const shas = log
        .split('\n')
        .map((l) => l.split('\t'))
        .filter(([, subject]) => subject !== undefined && wanted.has(subject))
        .map(([sha]) => sha!)
        .slice(0, subjects.length)
        .reverse();
      if (!shas.length) continue;
      const text = await gitText(repo, ['show', '--no-color', '--no-ext-diff', '--format=commit %H%n%an: %s%n', ...shas]);
      return { text: text.slice(0, MAX_DIFF), truncated: text.length > MAX_DIFF };
    } catch {
      // A branch that is gone: try the next.
    }
  }
  return null;
}

/** Loads attempt `number` of a task; NotFoundError when it does not exist. */
export async function loadAttemptDetail(weft: Weft, run: RunRecord, task: TaskRecord, number: number) {
  const attempts = await weft.store.listAttempts(run.id, task.id);
  const a: (AttemptRecord & { verifyOutput?: string | null }) | undefined = attempts.find((x) => x.number === number);
  if (!a) throw new NotFoundError(`task ${task.id} of run ${run.id} has no attempt ${number}`, { runId: run.id, taskId: task.id, attempt: number });
  const result = a.result && typeof a.result === 'object' && !Array.isArray(a.result) ? a.result : {};
  const commits = strings(result.commits);
  const prompt = await readFile(attemptPromptPath(weft.dataDir, run.id, task.id, number), 'utf8').catch(() => null);
  return {
    ...attemptToApi(a),
    output: a.output,
    prompt,
    verifyOutput: typeof a.verifyOutput === 'string' ? a.verifyOutput : null,
    filesChanged: strings(result.filesChanged),
    commits,
    prUrl: typeof result.prUrl === 'string' ? result.prUrl : a.number === task.attemptCount ? task.prUrl : null,
    summary: typeof result.summary === 'string' ? result.summary : null,
    diff: a.status === 'succeeded' ? await diffOf(run.repo, [task.branch, run.branch], commits) : null,
  };
}
