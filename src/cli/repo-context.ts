/** Code context for commands that print prompts (`weft prompt`, `weft generate-queries`): read from a folder on disk. */
import { resolve } from 'node:path';
import type { WeftConfig } from '../config/config-schema.js';
import type { RepoContext } from '../context/index.js';
import type { TaskSpec } from '../core/task.js';

/** A gatherer for many tasks of one repository (files parsed once), or null when the config switches code context off. */
export async function openRepoContext(config: WeftConfig, repoDir: string, maxChars: number): Promise<((task: TaskSpec) => Promise<RepoContext>) | null> {
  const { codeContextSettings, createCodeContext, createFsSourceTree, wantsCodeContext } = await import('../context/index.js');
  if (!wantsCodeContext(config.prompt)) return null;
  const context = createCodeContext(codeContextSettings(config.prompt, maxChars));
  const tree = createFsSourceTree(resolve(repoDir));
  return (task) => context.forTask(task, tree);
}
