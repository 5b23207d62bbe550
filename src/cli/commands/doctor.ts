/** `weft doctor`: the checks a run makes before anything is stored, shown one line each, plus the store and the queue. */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig } from '../../config/load-config.js';
import { defaultConfig } from '../../config/config-schema.js';
import type { Check } from '../../app/preflight.js';
import { loadPlan } from '../load-plan.js';
import { printJson } from '../output.js';
import { DB_HELP } from '../with-weft.js';

interface DoctorFlags {
  structure?: string;
  agent?: string;
  repo?: string;
  base?: string;
  verify?: string;
  pr?: boolean;
  remote?: string;
  githubRepo?: string;
  db?: string;
  redis?: string;
  json?: boolean;
}

const MARK = { ok: '✔', warn: '!', fail: '✖' } as const;

/** Registers `weft doctor`. */
export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('Check what a run needs: repository, base branch, working tree, agents (version, credentials), verify command, store, Redis, pull requests')
    .argument('[file]', 'requirements document or Task Master tasks.json (its Agent: and Verify: lines are checked too)', 'REQUIREMENTS.md')
    .option('--structure <file>', 'STRUCTURE.md (interface-first planning)')
    .option('--agent <name|command>', 'the run\'s agent (default: config agent, else simulate)')
    .option('--repo <dir>', 'git repository the agents work in (default: the current directory)')
    .option('--base <branch>', 'base branch (default: config git.baseBranch, else the current branch)')
    .option('--verify <command>', 'quality gate to check (default: config verify)')
    .option('--pr', 'check the pull-request setup (GITHUB_TOKEN, remote, GitHub repository)')
    .option('--remote <name>', 'git remote for pull requests')
    .option('--github-repo <owner/name>', 'GitHub repository of the pull requests')
    .option('--db <db>', DB_HELP)
    .option('--redis <url>', 'Redis of the run queue (default: WEFT_REDIS_URL; checked when set)')
    .option('--json', 'print the checks as JSON')
    .action(async (file: string, flags: DoctorFlags, cmd: Command) => {
      const { runPreflight } = await import('../../app/preflight.js');
      const { checkRedis, checkStore } = await import('../../app/service-checks.js');
      const cwd = process.cwd();
      const checks: Check[] = [];
      let config = defaultConfig();
      try {
        const loaded = await loadConfig({ cwd });
        config = loaded.config;
        checks.push({ name: 'config', level: 'ok', message: loaded.path ?? 'defaults (no weft.config.yaml)' });
      } catch (err) {
        checks.push({ name: 'config', level: 'fail', message: (err as Error).message });
      }
      let tasks: Awaited<ReturnType<typeof loadPlan>>['tasks'] = [];
      const explicitFile = cmd.getOptionValueSource('file') === 'cli' || cmd.args.length > 0;
      if (existsSync(resolve(cwd, file)) || explicitFile) {
        try {
          const plan = await loadPlan(file, { ...(flags.structure ? { structure: flags.structure } : {}), defaultEstimateMinutes: config.defaultEstimateMinutes });
          tasks = plan.tasks;
          const open = tasks.filter((t) => t.status === 'pending').length;
          checks.push({ name: 'plan', level: 'ok', message: `${file}: ${open} task${open === 1 ? '' : 's'} to run` });
        } catch (err) {
          checks.push({ name: 'plan', level: 'fail', message: (err as Error).message });
        }
      } else {
        checks.push({ name: 'plan', level: 'warn', message: `no ${file} here: checked the run's default agent only (\`weft init\` writes one)` });
      }
      const agent = flags.agent ?? config.agent ?? 'simulate';
      const pf = await runPreflight({
        config,
        cwd,
        agent,
        tasks,
        repo: flags.repo ?? null,
        baseBranch: flags.base ?? null,
        verify: flags.verify ?? config.verify ?? null,
        pr: { enabled: flags.pr ?? false, remote: flags.remote ?? null, githubRepo: flags.githubRepo ?? null },
      });
      checks.push(...pf.checks);
      checks.push(await checkStore(flags.db ?? process.env.WEFT_DB ?? config.db ?? '.weft/weft.db', cwd));
      const redis = flags.redis ?? process.env.WEFT_REDIS_URL;
      if (redis) checks.push(await checkRedis(redis));
      const failed = checks.filter((c) => c.level === 'fail').length;
      if (flags.json) printJson({ ok: failed === 0, checks });
      else {
        for (const c of checks) process.stdout.write(`${MARK[c.level]} ${c.name}: ${c.message}\n`);
        process.stdout.write(failed ? `\n${failed} problem${failed === 1 ? '' : 's'}: a run would be refused (exit 2)\n` : '\nReady to run.\n');
      }
      process.exitCode = failed ? 2 : 0;
    });
}
