/** Prompt building: task + plan + memory + feedback -> the text an agent receives. */

export { buildPrompt } from './build-prompt.js';
export { DEFAULT_MAX_CHARS, TRIM_STEPS, UNTRIMMED_SECTIONS, budgetChars, estimateTokens } from './prompt-budget.js';
export type { AttemptFeedback, BuiltPrompt, PromptOptions, TaskMemory } from './prompt-types.js';
export type { DependencyVariables, FeedbackVariables, PromptVariables, TaskRefVariables } from './prompt-variables.js';
export { buildPromptVariables } from './prompt-variables.js';
export { closeIds, dependentsOf, findTask } from './task-lookup.js';
export { bundledTemplatesDir, createTemplateLoader, fence, findPackageRoot } from './template-loader.js';
export type { TemplateLoader, TemplateLoaderOptions } from './template-loader.js';
