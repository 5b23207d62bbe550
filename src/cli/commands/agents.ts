/** `weft agents`: which agent backends are usable here: installed version, credentials present, the exact argv. */
import type { Command } from 'commander';
import { listAgents } from '../../agents/presets.js';
import { loadConfig } from '../../config/load-config.js';
import { printJson } from '../output.js';

/** Registers `weft agents`. */
export function registerAgentsCommand(program: Command): void {
  program
    .command('agents')
    .description('List agent backends (presets, configured agents, codegen): installed version, whether credentials are set, the exact command')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const { config } = await loadConfig({ cwd: process.cwd() });
      const rows = await listAgents(config);
      if (flags.json) return printJson(rows);
      const w = Math.max(...rows.map((r) => r.name.length), 8);
      const creds: Record<string, string> = { env: 'credentials: ', file: 'login: ', missing: 'no credentials: ', 'none-needed': '' };
      for (const r of rows) {
        const where = r.installed ? [r.version, r.path].filter(Boolean).join(' · ') || 'ready' : 'not installed';
        process.stdout.write(`${r.installed ? '✔' : '✖'} ${r.name.padEnd(w)}  ${where}  ${r.description}\n`);
        const credText = r.credentials === 'none-needed' ? '' : `${creds[r.credentials]}${r.credentialSource ?? ''}`;
        if (credText) process.stdout.write(`  ${' '.repeat(w)}  ${credText}\n`);
        if (r.argv.length > 0) process.stdout.write(`  ${' '.repeat(w)}  runs: ${r.command}\n`);
      }
      process.stdout.write('\nAlso: --agent simulate (no code changes) or any command line, e.g. --agent "my-agent --flag".\n');
    });
}
