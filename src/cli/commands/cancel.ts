/** `weft cancel RUN_ID|TASK_ID`: cancel a run or one task; running attempts stop at their next heartbeat. */
import type { Command } from 'commander';
import { NotFoundError } from '../../core/errors.js';
import { DB_HELP, withWeft } from '../with-weft.js';

/** Registers `weft cancel`. */
export function registerCancelCommand(program: Command): void {
  program
    .command('cancel')
    .description('Cancel a run, or one task of the latest run (a TASK_ID may be written RUN_ID/TASK_ID)')
    .argument('<id>', 'run id, task id, or run-id/task-id')
    .option('--db <db>', DB_HELP)
    .action(async (id: string, flags: { db?: string }) => {
      await withWeft(flags, async (weft) => {
        const { store } = weft;
        const { cancelRunOrTask } = await import('../../app/cancel.js');
        // An engine elsewhere (another terminal, a worker) sees the cancellation through its heartbeats;
        // a run still pending has none, so it is settled here, as the API does.
        if (await store.getRun(id)) {
          const r = await cancelRunOrTask(store, id, undefined, { executing: false });
          const running = r.run.status === 'running' ? '; running attempts stop at their next heartbeat' : '';
          process.stdout.write(`cancelling run ${id}: ${r.cancelled.length} task(s) cancelled now${running} (run ${r.run.status})\n`);
          return;
        }
        const slash = id.indexOf('/');
        const runId = slash > 0 ? id.slice(0, slash) : (await store.latestRun())?.id;
        const taskId = slash > 0 ? id.slice(slash + 1) : id;
        if (!runId || !(await store.getTask(runId, taskId))) throw new NotFoundError(`no run or task with id "${id}" (see \`weft runs\` and \`weft status\`)`);
        const { cancelled } = await cancelRunOrTask(store, runId, taskId, { executing: false });
        process.stdout.write(cancelled.includes(taskId) ? `cancelled task ${taskId} of run ${runId}\n` : `cancelling task ${taskId} of run ${runId}: it stops at its next heartbeat\n`);
      });
    });
}
