/** `weft init`: writes a starter REQUIREMENTS.md, STRUCTURE.md and weft.config.yaml. */
import { isAbsolute, relative } from 'node:path';
import type { Command } from 'commander';
import { initProject } from '../init.js';

/** Registers `weft init`. */
export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('Write a starter REQUIREMENTS.md, STRUCTURE.md and weft.config.yaml')
    .argument('[dir]', 'directory to write into (created if missing)', '.')
    .option('--force', 'overwrite files that already exist')
    .action(async (dir: string, opts: { force?: boolean }) => {
      const written = await initProject(dir, { force: opts.force ?? false });
      const shown = (p: string) => {
        const rel = relative(process.cwd(), p);
        return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? p : rel;
      };
      for (const p of written) process.stdout.write(`wrote ${shown(p)}\n`);
      const req = shown(written[0]!);
      const structure = shown(written[1]!);
      process.stdout.write(`\nNext: edit ${req}, then see its task graph with\n  weft plan ${req} --structure ${structure}\n`);
    });
}
