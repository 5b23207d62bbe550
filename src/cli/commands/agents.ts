/** `weft agents`: which agent backends are usable here (nothing is spawned). */
import type { Command } from 'commander';
import { listAgents } from '../../agents/presets.js';
import { loadConfig } from '../../config/load-config.js';
import { printJson } from '../output.js';

/** Registers `weft agents`. */
export function registerAgentsCommand(program: Command): void {
  program
    .command('agents')
    .description('List agent backends (presets, configured agents, codegen) and whether each is installed')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const { config } = await loadConfig({ cwd: process.cwd() });
      const rows = await listAgents(config);
      if (flags.json) return printJson(rows);
      const w = Math.max(...rows.map((r) => r.name.length), 8);
      for (const r of rows) {
        process.stdout.write(`${r.installed ? '✔' : '✖'} ${r.name.padEnd(w)}  ${r.installed ? (r.path ?? 'ready') : 'not installed'}  ${r.description}\n`);
      }
      process.stdout.write('\nAlso: --agent simulate (no code changes) or any command line, e.g. --agent "my-agent --flag".\n');
    });
}
