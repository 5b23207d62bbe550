/** Inputs and outputs of prompt building, shared by the builder, the engine and the CLI. */

import type { RepoContext } from '../context/code-context.js';
import type { TemplateLoader } from './template-loader.js';

/** What a finished task produced, as remembered for the prompts of the tasks after it. */
export interface TaskMemory {
  summary: string;
  filesChanged?: string[];
  commits?: string[];
}

/** Why the previous attempt of this task failed; fed back so the next attempt can fix it. */
export interface AttemptFeedback {
  /** Number of the attempt that failed (1-based). */
  attempt: number;
  /** Error category, e.g. `test`, `conflict`, `timeout`. */
  category: string;
  message: string;
  /** Last lines of the agent's or the check's output. */
  outputTail?: string;
  /** Files that conflicted when integrating the attempt. */
  conflictFiles?: string[];
}

export interface PromptOptions {
  /** Results of finished tasks, keyed by task id. */
  memory?: ReadonlyMap<string, TaskMemory> | Readonly<Record<string, TaskMemory>>;
  feedback?: AttemptFeedback;
  /** Surrounding code, gathered by the caller (shown as "Relevant code", with the repository's code examples). */
  codeContext?: string;
  /** Repository map, related files, code examples and dependency manifest (`src/context/`). */
  repoContext?: RepoContext;
  /** The type's "How to …" best-practice steps (config `prompt.enhanceWithBestPractices`, default true). */
  bestPractices?: boolean;
  extraInstructions?: string;
  /** Size budget in characters; 24000 when neither this nor `maxTokens` is given. */
  maxChars?: number;
  /** Size budget in estimated tokens (ceil(chars / 4)). */
  maxTokens?: number;
  /** Folder whose templates replace the bundled ones file by file. Ignored when `loader` is given. */
  templatesDir?: string;
  /** A loader to reuse across many prompts (parsed templates are cached in it). */
  loader?: TemplateLoader;
}

export interface BuiltPrompt {
  text: string;
  chars: number;
  estimatedTokens: number;
  /** Labels of the sections left out or shortened to fit the budget, least important first. */
  trimmed: string[];
  /** Path of the template file the prompt was rendered from. */
  template: string;
}
