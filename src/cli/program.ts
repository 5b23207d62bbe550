/** Wires every command into one commander program. */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { registerExportCommand } from './commands/export.js';
import { registerImportCommand } from './commands/import.js';
import { registerInitCommand } from './commands/init.js';
import { registerNextCommand } from './commands/next.js';
import { registerPlanCommands } from './commands/plan.js';
import { registerPromptCommand } from './commands/prompt.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Builds the `weft` command tree. */
export function createProgram(): Command {
  const program = new Command('weft')
    .description('Turn a requirements document into merged pull requests using a fleet of AI coding agents.')
    .version(pkg.version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true });
  registerInitCommand(program);
  registerPlanCommands(program);
  registerNextCommand(program);
  registerPromptCommand(program);
  registerImportCommand(program);
  registerExportCommand(program);
  return program;
}
