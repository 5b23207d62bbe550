/** Wires every command into one commander program. */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { registerPlanCommands } from './commands/plan.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Builds the `weft` command tree. */
export function createProgram(): Command {
  const program = new Command('weft')
    .description('Turn a requirements document into merged pull requests using a fleet of AI coding agents.')
    .version(pkg.version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true });
  registerPlanCommands(program);
  return program;
}
