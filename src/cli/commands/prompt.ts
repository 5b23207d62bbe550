/** `weft prompt`: prints the prompt a task's agent will get. */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.js';
import { loadPlan } from '../load-plan.js';
import { openRepoContext } from '../repo-context.js';
import { positiveInt } from './cli-args.js';

interface PromptCommandOptions {
  structure?: string;
  maxChars?: number;
  maxTokens?: number;
  templates?: string;
  repo?: string;
  codeContext?: boolean;
}

/** Registers `weft prompt`. */
export function registerPromptCommand(program: Command): void {
  program
    .command('prompt')
    .description("Print the prompt a task's agent will get")
    .argument('<file>', 'requirements document')
    .argument('<task-id>', 'id of the task, as shown by `weft plan`')
    .option('--structure <file>', 'STRUCTURE.md with components (interface-first planning)')
    .option('--max-chars <n>', 'size budget in characters (default: config prompt.maxChars, else 24000)', positiveInt)
    .option('--max-tokens <n>', 'size budget in estimated tokens (4 characters each)', positiveInt)
    .option('--templates <dir>', 'folder of templates replacing the bundled ones (default: config prompt.templates)')
    .option('--repo <dir>', 'repository whose code goes into the prompt (repository map, related files)', '.')
    .option('--no-code-context', 'leave the code context out (config prompt.include* switch its parts)')
    .action(async (file: string, taskId: string, opts: PromptCommandOptions) => {
      const { config } = await loadConfig();
      const { buildPrompt, budgetChars } = await import('../../prompt/index.js');
      const plan = await loadPlan(file, {
        ...(opts.structure ? { structure: opts.structure } : {}),
        defaultEstimateMinutes: config.defaultEstimateMinutes,
      });
      // A flag replaces the config's budget rather than combining with it.
      const fromFlags = opts.maxChars !== undefined || opts.maxTokens !== undefined;
      const maxChars = fromFlags ? opts.maxChars : config.prompt.maxChars;
      const maxTokens = fromFlags ? opts.maxTokens : undefined;
      const templatesDir = opts.templates ?? config.prompt.templates;
      const budget = { ...(maxChars !== undefined ? { maxChars } : {}), ...(maxTokens !== undefined ? { maxTokens } : {}) };
      const task = plan.tasks.find((t) => t.id === taskId);
      const gather = task && opts.codeContext !== false ? await openRepoContext(config, opts.repo ?? '.', budgetChars(budget)) : null;
      const repoContext = task && gather ? await gather(task) : undefined;
      const built = await buildPrompt(plan, taskId, {
        ...budget,
        bestPractices: config.prompt.enhanceWithBestPractices,
        ...(repoContext ? { repoContext } : {}),
        ...(templatesDir !== undefined ? { templatesDir } : {}),
      });
      process.stdout.write(built.text);
      const limit = budgetChars(budget);
      if (built.trimmed.length > 0) process.stderr.write(`weft: trimmed to fit ${limit} characters: ${built.trimmed.join(', ')}\n`);
      if (built.chars > limit) {
        process.stderr.write(
          `weft: warning: the prompt is ${built.chars} characters (~${built.estimatedTokens} tokens), over the budget of ${limit}; ` +
            'only sections the agent cannot do without are left\n',
        );
      }
    });
}
