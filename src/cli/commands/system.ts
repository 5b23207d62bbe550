/** `weft system status|metrics|health` (seed 004): what the store holds, Prometheus metrics, and whether the database answers. */
import type { Command } from 'commander';
import { printJson } from '../output.js';
import { DB_HELP, withWeft } from '../with-weft.js';

/** Registers `weft system`. */
export function registerSystemCommands(program: Command): void {
  const system = program.command('system').description('System status, metrics and health (seed 004)');

  system
    .command('status')
    .description('Runs, tasks and workflow runs by status; steps waiting for approval')
    .option('--db <db>', DB_HELP)
    .option('--json', 'JSON output')
    .action(async (flags: { db?: string; json?: boolean }) => {
      await withWeft(flags, async (weft) => {
        const runs = await weft.store.listRuns(1000);
        const wfRuns = await weft.store.workflows.listWorkflowRuns({ limit: 1000 });
        const by = <T extends { status: string }>(xs: T[]) => xs.reduce<Record<string, number>>((acc, x) => ((acc[x.status] = (acc[x.status] ?? 0) + 1), acc), {});
        const waiting = (await weft.store.workflows.listWaitingSteps()).map((s) => ({ run: s.runId, step: s.key, waitingFor: s.state.approval !== undefined ? 'approval' : String(s.state.event) }));
        const out = { db: weft.store.dialect, runs: by(runs), tasks: await weft.store.countTasks(), workflows: (await weft.workflows.list()).length, workflowRuns: by(wfRuns), waiting, handlers: weft.handlerTypes() };
        if (flags.json) return printJson(out);
        const fmt = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${v} ${k}`).join(', ') || 'none';
        process.stdout.write(
          `db: ${out.db}\nruns: ${fmt(out.runs)}\ntasks: ${fmt(out.tasks as Record<string, number>)}\nworkflows: ${out.workflows} stored; runs: ${fmt(out.workflowRuns)}\nhandlers: ${out.handlers.join(', ')}\n` +
            (waiting.length ? `waiting:\n${waiting.map((w) => `  ${w.run} ${w.step} (${w.waitingFor})`).join('\n')}\n` : ''),
        );
      });
    });

  system
    .command('metrics')
    .description('Prometheus metrics read from the store (the same as GET /api/v1/metrics)')
    .option('--db <db>', DB_HELP)
    .action(async (flags: { db?: string }) => {
      await withWeft(flags, async (weft) => {
        const { createMetrics } = await import('../../server/metrics.js');
        const { EngineEvents } = await import('../../engine/events.js');
        const m = createMetrics(weft.store, new EngineEvents(), () => 0);
        try {
          process.stdout.write(await m.registry.metrics());
        } finally {
          m.close();
        }
      });
    });

  system
    .command('health')
    .description('Whether the database answers and its schema is current (exit 1 when not)')
    .option('--db <db>', DB_HELP)
    .option('--json', 'JSON output')
    .action(async (flags: { db?: string; json?: boolean }) => {
      await withWeft(flags, async (weft) => {
        const started = Date.now();
        let ok = true;
        let error: string | null = null;
        try {
          await weft.store.listRuns(1);
          await weft.store.workflows.listWorkflowRuns({ limit: 1 });
        } catch (err) {
          ok = false;
          error = (err as Error).message;
        }
        const out = { status: ok ? 'ok' : 'unhealthy', db: weft.store.dialect, latencyMs: Date.now() - started, error };
        if (flags.json) printJson(out);
        else process.stdout.write(`${out.status} · db ${out.db}${error ? ` · ${error}` : ''}\n`);
        if (!ok) process.exitCode = 1;
      });
    });
}
