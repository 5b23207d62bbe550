/**
 * Judging a verify failure against the base branch (`--allow-failing-baseline`). A verify that fails
 * the same way on the base is not the task's fault; a new failure is.
 *
 * "The same way": the set of failure lines. A failure line is an output line that names a failure
 * (`not ok 3 - adds`, `✖ adds`, `FAIL src/a.test.ts`, `--- FAIL: TestAdd`, `FAILED tests/a.py::b`,
 * `Error: …`, …), normalized: colours, the worktree's path, durations and every number are removed,
 * so `not ok 4 - adds (12ms)` in a worktree equals `not ok 3 - adds (9ms)` on the base. An attempt
 * whose failure lines all appear in the baseline's fails "as the baseline does"; any other line is a
 * new failure. When neither run printed a recognizable failure line, all normalized lines are compared.
 */

/** What the baseline run of one verify command left for later attempts to be judged by. */
export interface VerifyBaseline {
  command: string;
  passed: boolean;
  exitCode: number | null;
  /** Normalized failure lines (or all normalized lines when none looked like a failure). */
  failures: string[];
}

/** The most lines kept per signature (enough for large suites; bounded for the run's stored options). */
export const MAX_SIGNATURE_LINES = 2000;

// Words and marks with which test runners and compilers announce a failure.
const FAILURE_LINE = /\b(not ok|fail(ed|ure|ing)?|errors?|exception|panic(ked)?|assert(ion)?(error)?|traceback)\b|✖|✕|✗|×|\bE\d{3,4}\b|\bTS\d{4}\b/i;
// Summary counters ("# fail 2", "Tests: 1 failed, 3 passed") say nothing about which test failed.
const SUMMARY_LINE = /^(#\s*(fail|pass|tests?|suites?|cancelled|skipped|todo|duration_ms)\b|(tests?|suites?|test suites|test files)\s*:|\d+\s+(passing|failing|pending)\b|ℹ\s)/i;
// eslint-disable-next-line no-control-regex -- ANSI colour codes are control characters by definition
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;

/** One output line in comparable form ('' when it carries nothing). */
export function normalizeVerifyLine(line: string, worktree?: string): string {
  let s = line.replace(ANSI, '');
  if (worktree) s = s.split(worktree).join('<dir>');
  return s
    .replace(/\/tmp\/[^\s:'"]+/g, '<tmp>')
    .replace(/\(?\b\d+(\.\d+)?\s*(ms|s|sec|seconds|m)\b\)?/g, '')
    .replace(/\d+/g, '#')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Collects the signature of a verify run from its output lines as they stream. */
export class VerifySignature {
  readonly #failures = new Set<string>();
  readonly #all = new Set<string>();
  #partial = '';
  constructor(private readonly worktree?: string) {}

  /** Feeds a chunk of output (lines may span chunks). */
  push(chunk: string): void {
    const text = this.#partial + chunk;
    const lines = text.split(/\r?\n/);
    this.#partial = lines.pop() ?? '';
    for (const line of lines) this.#line(line);
  }

  /** The signature: failure lines, else every line. */
  lines(): string[] {
    if (this.#partial) {
      this.#line(this.#partial);
      this.#partial = '';
    }
    return [...(this.#failures.size > 0 ? this.#failures : this.#all)];
  }

  #line(raw: string): void {
    const line = normalizeVerifyLine(raw, this.worktree);
    if (!line) return;
    if (this.#all.size < MAX_SIGNATURE_LINES) this.#all.add(line);
    if (this.#failures.size < MAX_SIGNATURE_LINES && FAILURE_LINE.test(line) && !SUMMARY_LINE.test(line)) this.#failures.add(line);
  }
}

/** The failure lines of an attempt that the baseline did not have (empty: it fails as the baseline does). */
export function newFailures(baseline: VerifyBaseline, attempt: readonly string[]): string[] {
  const known = new Set(baseline.failures);
  return attempt.filter((line) => !known.has(line));
}
