/** Code-context settings from the config's `prompt` section. */

import type { WeftConfig } from '../config/config-schema.js';
import { budgetChars } from '../prompt/prompt-budget.js';
import type { CodeContextSettings } from './code-context.js';

/** What to gather and the budget to share, from `prompt.include*` and `prompt.maxChars`. */
export function codeContextSettings(prompt: WeftConfig['prompt'], maxChars: number | undefined = prompt.maxChars): CodeContextSettings {
  return {
    includeFileStructure: prompt.includeFileStructure,
    includeRelatedFiles: prompt.includeRelatedFiles,
    includeCodeExamples: prompt.includeCodeExamples,
    includeDependencies: prompt.includeDependencies,
    maxChars: budgetChars(maxChars !== undefined ? { maxChars } : {}),
  };
}

/** Whether any part of the code context is switched on. */
export function wantsCodeContext(prompt: WeftConfig['prompt']): boolean {
  return prompt.includeFileStructure || prompt.includeRelatedFiles || prompt.includeCodeExamples || prompt.includeDependencies;
}
