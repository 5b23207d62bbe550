/** `weft prs`: tracked pull requests, their statistics, polling them (`--watch`, `sync`) and cleanup. */
import type { Command } from 'commander';
import { InputError } from '../../core/errors.js';
import { formatDuration } from '../../engine/run-report.js';
import { sleep } from '../../engine/simulate-agent.js';
import { cleanupPullRequests, listForCli, parseAge, pullRequestJson, statsJson, syncPullRequests } from '../../forge/pr-maintenance.js';
import { PrTracker, type TrackOutcome } from '../../forge/pr-tracker.js';
import { PR_STATES, type PullRequestStats } from '../../store/pr-records.js';
import { printJson } from '../output.js';
import { DB_HELP, withReadOnlyWeft, withWeft } from '../with-weft.js';

interface ListFlags {
  db?: string;
  json?: boolean;
  state?: string;
  run?: string;
  watch?: boolean;
  interval?: string;
}

/** Registers `weft prs` and its subcommands. */
export function registerPrsCommand(program: Command): void {
  const prs = program
    .command('prs')
    .description('Pull requests weft opened or tracks: state, checks, reactions (see also: prs stats, prs sync, prs cleanup)')
    .option('--db <db>', DB_HELP)
    .option('--json', 'print JSON')
    .option('--state <state>', `only this state: ${PR_STATES.join(', ')}`)
    .option('--run <id>', 'only this run')
    .option('--watch', 'keep polling open pull requests, reacting and resuming runs (when no webhook is configured)')
    .option('--interval <seconds>', 'polling interval for --watch (default: config pr.pollSeconds, else 60)')
    .action(async (flags: ListFlags) => {
      if (flags.state && !(PR_STATES as readonly string[]).includes(flags.state)) {
        throw new InputError(`--state must be one of ${PR_STATES.join(', ')}, got "${flags.state}"`);
      }
      const open = flags.watch ? withWeft : withReadOnlyWeft;
      await open(flags, async (weft) => {
        if (flags.watch) {
          const seconds = flags.interval !== undefined ? Number(flags.interval) : weft.config.pr.pollSeconds || 60;
          if (!Number.isFinite(seconds) || seconds <= 0) throw new InputError(`--interval must be a positive number of seconds, got "${flags.interval}"`);
          const tracker = new PrTracker({ store: weft.store, config: weft.config });
          let stop = false;
          const onSignal = () => (stop = true);
          process.once('SIGINT', onSignal);
          process.once('SIGTERM', onSignal);
          process.stderr.write(`weft: watching open pull requests every ${seconds}s (Ctrl-C stops)\n`);
          try {
            while (!stop) {
              const outcomes = await syncPullRequests(weft, { ...(flags.run ? { runId: flags.run } : {}), tracker }).catch((err: unknown) => {
                process.stderr.write(`weft: polling failed: ${err instanceof Error ? err.message : String(err)}\n`);
                return [];
              });
              printOutcomes(outcomes, flags.json ?? false);
              for (let waited = 0; waited < seconds * 1000 && !stop; waited += 250) await sleep(250);
            }
          } finally {
            process.off('SIGINT', onSignal);
            process.off('SIGTERM', onSignal);
          }
          return;
        }
        const list = await listForCli(weft.store, { ...(flags.run ? { runId: flags.run } : {}), ...(flags.state ? { state: flags.state } : {}) });
        const stats = await weft.store.pullRequestStats(flags.run);
        if (flags.json) return printJson({ pullRequests: list.map(pullRequestJson), stats: statsJson(stats) });
        if (list.length === 0) return void process.stdout.write('no pull requests yet: start a run with `weft run --pr`\n');
        for (const pr of list) {
          const who = pr.taskId ? `task ${pr.taskId}` : 'run (final)';
          process.stdout.write(`#${String(pr.number).padEnd(5)} ${pr.state.padEnd(17)} ${pr.runId}  ${who.padEnd(20)} ${pr.url}\n`);
          if (pr.escalation) process.stdout.write(`       ${pr.escalation}\n`);
        }
        process.stdout.write(`\n${formatStats(stats)}\n`);
      });
    });

  prs
    .command('stats')
    .description('Totals, counts by state, success rate and average time to merge')
    .option('--db <db>', DB_HELP)
    .option('--run <id>', 'only this run')
    .option('--json', 'print JSON')
    .action(async (_flags: unknown, cmd: Command) => {
      // Options given after `prs` land on the parent command: read both.
      const flags = cmd.optsWithGlobals<{ db?: string; run?: string; json?: boolean }>();
      await withReadOnlyWeft(flags, async (weft) => {
        const stats = await weft.store.pullRequestStats(flags.run);
        if (flags.json) return printJson(statsJson(stats));
        process.stdout.write(`${formatStats(stats)}\n`);
      });
    });

  prs
    .command('sync')
    .description('Poll open pull requests once, apply reactions and execute runs that have work again')
    .option('--db <db>', DB_HELP)
    .option('--run <id>', 'only this run')
    .option('--no-execute', 'only update states; do not execute new attempts here')
    .option('--json', 'print JSON')
    .action(async (_flags: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<{ db?: string; run?: string; execute: boolean; json?: boolean }>();
      await withWeft(flags, async (weft) => {
        printOutcomes(await syncPullRequests(weft, { ...(flags.run ? { runId: flags.run } : {}), execute: flags.execute }), flags.json ?? false);
      });
    });

  prs
    .command('cleanup')
    .description("Delete merged pull requests' branches on the remote and forget finished pull requests older than the given age")
    .option('--db <db>', DB_HELP)
    .option('--older-than <age>', 'age of finished records to forget: 30d, 12h, 90m', '30d')
    .option('--no-branches', 'keep merged branches on the remote')
    .option('--json', 'print JSON')
    .action(async (_flags: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<{ db?: string; olderThan: string; branches: boolean; json?: boolean }>();
      const olderThanMs = parseAge(flags.olderThan);
      await withWeft(flags, async (weft) => {
        const result = await cleanupPullRequests(weft, { olderThanMs, branches: flags.branches });
        if (flags.json) return printJson(result);
        process.stdout.write(`deleted ${result.branchesDeleted.length} merged branch(es), forgot ${result.recordsDeleted} record(s) older than ${flags.olderThan}\n`);
        for (const e of result.branchErrors) process.stderr.write(`weft: could not delete ${e.head}: ${e.error}\n`);
        if (result.branchErrors.length > 0) process.exitCode = 1;
      });
    });
}

function formatStats(s: PullRequestStats): string {
  const states = PR_STATES.filter((st) => s.byState[st] > 0).map((st) => `${s.byState[st]} ${st}`).join(', ') || 'none';
  const rate = s.successRate === null ? 'n/a' : `${Math.round(s.successRate * 100)}%`;
  const ttm = s.averageTimeToMergeMs === null ? 'n/a' : formatDuration(s.averageTimeToMergeMs);
  return `${s.total} pull request(s): ${states} · merged of finished: ${rate} · average time to merge: ${ttm}`;
}

function printOutcomes(outcomes: TrackOutcome[], json: boolean): void {
  if (json) return printJson({ outcomes });
  for (const o of outcomes) {
    if (o.from === o.to && o.reaction === 'none') continue;
    process.stdout.write(`#${o.number} ${o.from} -> ${o.to}${o.reaction !== 'none' ? ` · ${o.reaction}: ${o.detail}` : ''}\n`);
  }
}
