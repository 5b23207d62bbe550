/** Builds the prompt an agent receives for one task of a plan. */

import type { Plan } from '../core/task.js';
import { budgetChars, estimateTokens, fitToBudget } from './prompt-budget.js';
import type { BuiltPrompt, PromptOptions } from './prompt-types.js';
import { buildPromptVariables } from './prompt-variables.js';
import type { PromptVariables } from './prompt-variables.js';
import { findTask } from './task-lookup.js';
import { createTemplateLoader } from './template-loader.js';
import type { TemplateLoader } from './template-loader.js';

let bundledLoader: TemplateLoader | undefined;

/**
 * Renders the prompt for `taskId` with the template of its type (`<type>.liquid`),
 * trimming the least important sections when it exceeds the size budget.
 */
export async function buildPrompt(plan: Plan, taskId: string, options: PromptOptions = {}): Promise<BuiltPrompt> {
  const task = findTask(plan, taskId);
  const maxChars = budgetChars(options);
  const loader = options.loader ?? (options.templatesDir !== undefined ? createTemplateLoader({ overrideDir: options.templatesDir }) : defaultLoader());
  const name = task.type;
  const template = loader.resolve(name) ?? name;
  const vars = buildPromptVariables(plan, task, options);
  const render = async (v: PromptVariables) => tidy(await loader.render(name, { ...v }));
  const { text, trimmed } = await fitToBudget(vars, render, maxChars);
  return { text, chars: text.length, estimatedTokens: estimateTokens(text.length), trimmed, template };
}

/** The bundled-only loader, shared so its parsed-template cache serves every prompt. */
function defaultLoader(): TemplateLoader {
  bundledLoader ??= createTemplateLoader();
  return bundledLoader;
}

/**
 * Removes the blank-line runs that skipped optional sections leave behind. Runs inside
 * fenced code are left alone: they may be the task's own data.
 */
function tidy(text: string): string {
  const out: string[] = [];
  let fence: string | undefined;
  let blank = 0;
  for (const line of text.split('\n')) {
    const marker = /^(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && marker !== undefined) fence = marker;
    else if (fence !== undefined && marker !== undefined && line.trim() === fence) fence = undefined;
    blank = line.trim() === '' && fence === undefined ? blank + 1 : 0;
    if (blank <= 1) out.push(line);
  }
  return out.join('\n').trim() + '\n';
}
