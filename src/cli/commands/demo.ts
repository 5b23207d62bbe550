/**
 * `weft demo`: weft's main job end to end on a fresh machine — the example REQUIREMENTS.md against a
 * copy of the example repository, with the bundled EXAMPLE agent (no AI), then the report and the
 * integration branch.
 */
import { Option, type Command } from 'commander';
import { cpSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError } from '../../core/errors.js';
import { EngineEvents } from '../../engine/events.js';
import { attachProgressView } from '../../engine/progress-view.js';
import { reportMarkdown } from '../../engine/run-report.js';
import { loadProgressSeed, loadRunStatus } from '../../engine/run-status.js';
import { loadPlan } from '../load-plan.js';
import { describeCount, parseCount, parseMaxCost } from './run.js';

/** Registers `weft demo`. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Run the bundled example end to end: example requirements, a copy of the example repo, the EXAMPLE agent')
    .option('--dir <dir>', 'where to create the example repository (default: a new temp directory)')
    .option('--agent <name|command>', 'agent to use instead of the bundled example agent (e.g. claude)', 'example')
    .option('--concurrency <n>', 'attempts at once', '3')
    .option('--max-cost <usd>', 'cost budget of the run in US dollars: once spent, no new attempt starts')
    .addOption(new Option('--sandbox <mode>', 'run the agents under bubblewrap (bwrap) or not (none)').choices(['none', 'bwrap']))
    .action(async (flags: { dir?: string; agent: string; concurrency: string; maxCost?: string; sandbox?: 'none' | 'bwrap' }) => {
      const maxCostUsd = parseMaxCost(flags.maxCost);
      const { openWeft } = await import('../../weft.js');
      const { findPackageRoot } = await import('../../prompt/index.js');
      const { git, gitText } = await import('../../vcs/git.js');
      const root = findPackageRoot();
      const example = join(root, 'examples', 'shop');
      const dir = resolve(flags.dir ?? mkdtempSync(join(tmpdir(), 'weft-demo-')));
      if (existsSync(dir) && readdirSync(dir).length > 0 && flags.dir) throw new InputError(`--dir ${dir} is not empty`);
      cpSync(join(example, 'repo'), dir, { recursive: true });
      const id = ['-c', 'user.name=weft demo', '-c', 'user.email=demo@weft.invalid'];
      await git(dir, ['init', '-q', '-b', 'main']);
      await git(dir, ['add', '-A']);
      await git(dir, [...id, 'commit', '-q', '-m', 'Example shop: initial commit']);
      process.stderr.write(`weft demo: example repository at ${dir}\n`);

      // Show a retry with the failure fed back: the example agent fails one task's first attempt.
      if (flags.agent === 'example' && process.env.WEFT_EXAMPLE_FAIL === undefined) process.env.WEFT_EXAMPLE_FAIL = 'CART-1';
      const plan = await loadPlan(join(example, 'REQUIREMENTS.md'));
      const weft = await openWeft({ db: join(dir, '.weft', 'weft.db'), cwd: dir });
      try {
        const run = await weft.createRun(plan, {
          agent: flags.agent,
          concurrency: parseCount('concurrency', flags.concurrency)!,
          repo: dir,
          ...(maxCostUsd !== undefined ? { maxCostUsd } : {}),
          ...(flags.sandbox ? { sandbox: flags.sandbox } : {}),
        });
        process.stderr.write(`weft demo: run ${run.id} · ${describeCount(plan)} · agent ${flags.agent}\n\n`);
        const events = new EngineEvents();
        const stop = attachProgressView(events, plan.tasks.filter((t) => t.status !== 'done').length, await loadProgressSeed(weft.store, run.id));
        const outcome = await weft.executeRun(run.id, { events });
        stop();
        const status = await loadRunStatus(weft.store, run.id);
        process.stdout.write('\n' + reportMarkdown(status));
        const branch = status.run.branch ?? `weft/run-${run.id}`;
        const log = await gitText(dir, ['log', '--graph', '--oneline', '--decorate=short', branch, '-n', '30']);
        process.stdout.write(`\n## Integration branch \`${branch}\`\n\n\`\`\`\n${log}\n\`\`\`\n`);
        const files = await gitText(dir, ['ls-tree', '-r', '--name-only', branch]);
        process.stdout.write(`\nFiles on ${branch}:\n${files.split('\n').map((f) => `  ${f}`).join('\n')}\n`);
        process.stdout.write(`\nThe base branch \`main\` is unchanged. Look around: cd ${dir} && git log ${branch}\n`);
        process.exitCode = outcome.run.status === 'succeeded' ? 0 : 1;
      } finally {
        await weft.close();
      }
    });
}
