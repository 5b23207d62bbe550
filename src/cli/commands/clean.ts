/** `weft clean`: remove the worktrees kept after failed attempts. */
import type { Command } from 'commander';

/** Registers `weft clean`. */
export function registerCleanCommand(program: Command): void {
  program
    .command('clean')
    .description('Remove worktrees weft kept for inspection (after failed attempts)')
    .argument('[run-id]', 'only this run')
    .option('--repo <dir>', 'the git repository', '.')
    .option('--branches', 'also delete the attempt branches (the integration branch is kept)')
    .action(async (runId: string | undefined, flags: { repo: string; branches?: boolean }) => {
      const { GitWorkspace } = await import('../../vcs/git-workspace.js');
      const { loadConfig } = await import('../../config/load-config.js');
      const { config } = await loadConfig();
      const ws = await GitWorkspace.open({ repo: flags.repo, branchPrefix: config.git.branchPrefix, worktreesDir: config.git.worktreesDir });
      const removed = await ws.cleanAll(runId, { deleteBranches: flags.branches ?? false });
      process.stdout.write(removed.length ? `removed ${removed.length} worktree(s):\n${removed.map((p) => `  ${p}`).join('\n')}\n` : 'nothing to clean\n');
    });
}
