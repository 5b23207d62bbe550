/** Wires every command into one commander program. */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { registerAgentsCommand } from './commands/agents.js';
import { registerCancelCommand } from './commands/cancel.js';
import { registerCleanCommand } from './commands/clean.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerExportCommand } from './commands/export.js';
import { registerImportCommand } from './commands/import.js';
import { registerInitCommand } from './commands/init.js';
import { registerNextCommand } from './commands/next.js';
import { registerPlanCommands } from './commands/plan.js';
import { registerPromptCommand } from './commands/prompt.js';
import { registerPrsCommand } from './commands/prs.js';
import { registerInspectCommands } from './commands/inspect.js';
import { registerRunCommands } from './commands/run.js';
import { registerSeedPlanCommands } from './commands/seed-plan.js';
import { registerSeedRunCommands } from './commands/seed-run.js';
import { registerServeCommand } from './commands/serve.js';
import { registerSimulateCommand } from './commands/simulate.js';
import { registerWorkerCommand } from './commands/worker.js';
import { registerWorkflowCommands } from './commands/workflow.js';
import { registerTaskCommands } from './commands/task.js';
import { registerSystemCommands } from './commands/system.js';

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
  registerDoctorCommand(program);
  registerRunCommands(program);
  registerInspectCommands(program);
  registerCancelCommand(program);
  registerSimulateCommand(program);
  registerAgentsCommand(program);
  registerCleanCommand(program);
  registerDemoCommand(program);
  registerServeCommand(program);
  registerWorkerCommand(program);
  registerImportCommand(program);
  registerExportCommand(program);
  registerPrsCommand(program);
  registerWorkflowCommands(program);
  registerSeedPlanCommands(program);
  registerSeedRunCommands(program);
  registerTaskCommands(program);
  registerSystemCommands(program);
  return program;
}
