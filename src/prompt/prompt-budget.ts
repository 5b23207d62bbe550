/**
 * Fitting a prompt into a size budget: sections are trimmed least important first,
 * re-rendering after each step, until the text fits or nothing trimmable is left.
 */

import { InputError } from '../core/errors.js';
import type { PromptVariables } from './prompt-variables.js';

export const DEFAULT_MAX_CHARS = 24_000;

/** Tokens as estimated everywhere in weft: about four characters each. */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

/** The character budget from `maxChars` and/or `maxTokens` (the stricter wins); the default when neither is set. */
export function budgetChars(options: { maxChars?: number | undefined; maxTokens?: number | undefined }): number {
  const limits: number[] = [];
  if (options.maxChars !== undefined) limits.push(positive('maxChars', options.maxChars));
  if (options.maxTokens !== undefined) limits.push(positive('maxTokens', options.maxTokens) * 4);
  return limits.length > 0 ? Math.min(...limits) : DEFAULT_MAX_CHARS;
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new InputError(`${name} must be a positive integer, got ${value}`, { [name]: value });
  return value;
}

/** Sections never trimmed, whatever the budget: without them the agent cannot do the task. */
export const UNTRIMMED_SECTIONS = ['task header', 'description', 'acceptance criteria', 'files to touch', 'previous attempt failure'] as const;

/** One way to make the prompt smaller. Returns its label, or undefined when there is nothing left to trim. */
interface TrimStep {
  section: string;
  /** Higher is more important, so trimmed later. */
  importance: number;
  trim(vars: PromptVariables, over: number): string | undefined;
}

const MARKER = ' … (shortened)';
const CUT_MARKER = '(earlier output cut) …\n';

/** Trimming order, least important first. */
export const TRIM_STEPS: readonly TrimStep[] = [
  dropStep('further downstream tasks', 10, (v) => v.transitive_dependents.length > 0, (v) => {
    v.transitive_dependents = [];
  }),
  {
    // Whole files go first, least relevant first, as many as the excess needs.
    section: 'related file contents',
    importance: 12,
    trim(vars: PromptVariables, over: number) {
      if (vars.related_files.length === 0) return undefined;
      let removed = 0;
      while (vars.related_files.length > 0 && removed < over) removed += vars.related_files.pop()!.content.length + 60;
      return vars.related_files.length === 0 ? 'related file contents' : 'related file contents (shortened)';
    },
  },
  textStep('dependency manifest', 15, 200, (v) => [v.dependency_manifest], (v, [text]) => {
    v.dependency_manifest = text ?? '';
  }),
  textStep('relevant code', 20, 400, (v) => [v.code_context], (v, [text]) => {
    v.code_context = text ?? '';
  }),
  textStep('repository map', 25, 300, (v) => [v.repo_map], (v, [text]) => {
    v.repo_map = text ?? '';
  }),
  textStep('dependency descriptions', 30, 150, (v) => v.dependencies.map((d) => d.description), (v, texts) => {
    v.dependencies.forEach((d, i) => {
      d.description = texts[i] ?? '';
    });
  }),
  dropStep('dependency files and commits', 40, (v) => v.dependencies.some((d) => d.files_changed.length + d.commits.length > 0), (v) => {
    for (const d of v.dependencies) {
      d.files_changed = [];
      d.commits = [];
    }
  }),
  textStep('project context', 50, 300, (v) => [v.project.context], (v, [text]) => {
    v.project.context = text ?? '';
  }),
  textStep('dependency results', 60, 150, (v) => v.dependencies.map((d) => d.summary), (v, texts) => {
    v.dependencies.forEach((d, i) => {
      d.summary = texts[i] ?? '';
    });
  }),
  dropStep('later tasks', 70, (v) => v.dependents.length > 0, (v) => {
    v.dependents = [];
  }),
  textStep('additional instructions', 80, 200, (v) => [v.extra_instructions], (v, [text]) => {
    v.extra_instructions = text ?? '';
  }),
  // The failure message itself is never trimmed; only the log excerpt behind it, keeping its end.
  textStep(
    'previous attempt output',
    90,
    200,
    (v) => [v.feedback?.output_tail ?? ''],
    (v, [text]) => {
      if (v.feedback) v.feedback.output_tail = text ?? '';
    },
    'end',
  ),
].sort((a, b) => a.importance - b.importance);

/** Renders, then trims and re-renders until the text fits `maxChars` or no step is left. */
export async function fitToBudget(
  vars: PromptVariables,
  render: (vars: PromptVariables) => Promise<string>,
  maxChars: number,
): Promise<{ text: string; trimmed: string[] }> {
  let text = await render(vars);
  const labels = new Map<string, string>();
  for (const step of TRIM_STEPS) {
    // Each round shrinks the section strictly, so a handful of rounds always suffices; the cap is a guard.
    for (let round = 0; text.length > maxChars && round < 8; round++) {
      const label = step.trim(vars, text.length - maxChars);
      if (label === undefined) break;
      labels.set(step.section, label);
      vars.trimmed = [...labels.values()];
      text = await render(vars);
    }
    if (text.length <= maxChars) break;
  }
  return { text, trimmed: [...labels.values()] };
}

/** A step that removes a whole section. */
function dropStep(section: string, importance: number, present: (v: PromptVariables) => boolean, drop: (v: PromptVariables) => void): TrimStep {
  return {
    section,
    importance,
    trim(vars) {
      if (!present(vars)) return undefined;
      drop(vars);
      return section;
    },
  };
}

/**
 * A step over one or more texts: shortens them all to a common length just small enough
 * to remove `over` characters, or drops them when that length would leave too little to be useful.
 */
function textStep(
  section: string,
  importance: number,
  minKeep: number,
  get: (v: PromptVariables) => string[],
  set: (v: PromptVariables, texts: string[]) => void,
  keep: 'start' | 'end' = 'start',
): TrimStep {
  return {
    section,
    importance,
    trim(vars, over) {
      const texts = get(vars).map((t) => unmark(t, keep));
      if (texts.every((t) => t === '')) return undefined;
      // Room for the markers and for the note growing by this step's label.
      const cap = capFor(texts, over + texts.length * MARKER.length + section.length + 40);
      if (cap < minKeep) {
        set(vars, texts.map(() => ''));
        return section;
      }
      set(vars, texts.map((t) => shorten(t, cap, keep)));
      return `${section} (shortened)`;
    },
  };
}

/** Largest length cap whose cutting removes at least `needed` characters from `texts`. */
function capFor(texts: string[], needed: number): number {
  let lo = 0;
  let hi = Math.max(...texts.map((t) => t.length));
  const removed = (cap: number) => texts.reduce((sum, t) => sum + Math.max(0, t.length - cap), 0);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (removed(mid) >= needed) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Cuts at a word or line boundary near `cap` and marks the cut, so the agent knows text is missing. */
function shorten(text: string, cap: number, keep: 'start' | 'end'): string {
  if (text.length <= cap) return text;
  if (keep === 'end') {
    let start = text.length - cap;
    const nl = text.indexOf('\n', start);
    if (nl !== -1 && nl - start < cap / 5) start = nl + 1;
    return CUT_MARKER + text.slice(start);
  }
  let end = cap;
  const space = text.lastIndexOf(' ', end);
  const nl = text.lastIndexOf('\n', end);
  const boundary = Math.max(space, nl);
  if (boundary > cap * 0.8) end = boundary;
  return text.slice(0, end).trimEnd() + MARKER;
}

/** Removes an earlier step's marker so shortening twice does not stack markers. */
function unmark(text: string, keep: 'start' | 'end'): string {
  if (keep === 'end') return text.startsWith(CUT_MARKER) ? text.slice(CUT_MARKER.length) : text;
  return text.endsWith(MARKER) ? text.slice(0, -MARKER.length) : text;
}
