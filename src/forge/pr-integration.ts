/**
 * Pull request mode for one executing run, as weft.ts plugs it into the engine: the PR workspace, the
 * after-success hook (push + open/update the PR), the merge wait, an in-run poller, and the final PR.
 */
import type { AgentResult } from '../agents/agent-backend.js';
import type { WeftConfig } from '../config/config-schema.js';
import { InputError } from '../core/errors.js';
import type { RunRecord, TaskRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { AttemptChanges, AttemptWorkspace, Workspace } from '../vcs/workspace.js';
import { createGithubForge } from './create-forge.js';
import type { Forge } from './forge.js';
import { remoteUrl } from './git-remote.js';
import { PrContent } from './pr-content.js';
import { PrPublisher } from './pr-publisher.js';
import { readRunPrOptions, resolvePrSettings, type PrSettings, type RunPrOptions } from './pr-settings.js';
import { PrTracker } from './pr-tracker.js';
import { PrWorkspace } from './pr-workspace.js';

/** What the engine calls after a successful attempt (see EngineDeps.afterSuccess). */
export interface AfterSuccessContext {
  runId: string;
  task: TaskRecord;
  attempt: number;
  workspace: AttemptWorkspace | null;
  result: AgentResult;
  changes: AttemptChanges | undefined;
}

export interface PrIntegration {
  readonly settings: PrSettings;
  readonly forge: Forge;
  readonly tracker: PrTracker;
  /** The workspace to give the engine. */
  wrap(workspace: Workspace | null): Workspace | null;
  /** Pushes the task's branch and opens or updates its PR; returns the PR's URL. */
  afterSuccess(ctx: AfterSuccessContext): Promise<{ prUrl?: string }>;
  /** True while a task waits for its PR to merge, so the engine keeps waiting for its dependents. */
  waitingOutside(): Promise<boolean>;
  /** Starts polling the run's PRs (when `pr.pollSeconds` > 0). */
  start(): void;
  /** End of the run: stops polling, opens or updates the final PR. */
  finish(): Promise<void>;
  /** Stops polling (also after a failed or interrupted run). */
  stop(): void;
}

export interface OpenPrIntegrationOptions {
  config: WeftConfig;
  store: Store;
  run: RunRecord;
  agentName: (task: TaskRecord) => string;
  verify: string | null;
  /** Replaces GitHub (tests). */
  forge?: Forge;
}

/** Checks a run's PR setup before anything is stored: a token, a remote, a GitHub repository. */
export async function checkPrSetup(config: WeftConfig, repo: string | null, pr: RunPrOptions): Promise<void> {
  const settings = resolvePrSettings(config, pr);
  if (!settings.enabled) return;
  if (repo) await remoteUrl(repo, settings.remote);
  else if (!settings.githubRepo) throw new InputError('--pr needs a git repository (--repo) whose branches can be pushed, or a hosted agent with --github-repo OWNER/NAME');
  await createGithubForge({ repo, remote: settings.remote, githubRepo: settings.githubRepo });
}

/** PR mode for a run, or null when the run has PRs off. */
export async function openPrIntegration(options: OpenPrIntegrationOptions): Promise<PrIntegration | null> {
  const { config, store, run } = options;
  const settings = resolvePrSettings(config, readRunPrOptions(run.options));
  if (!settings.enabled) return null;
  const forge = options.forge ?? (await createGithubForge({ repo: run.repo, remote: settings.remote, githubRepo: settings.githubRepo }));
  const content = new PrContent(settings.templatesDir);
  const publisher = new PrPublisher({ store, forge, settings, repo: run.repo, content });
  const latestRun = async () => (await store.getRun(run.id)) ?? run;
  const tracker = new PrTracker({
    store,
    config,
    forgeFor: () => Promise.resolve(forge),
    onMerged: async (r) => {
      await publisher.publishRun(r);
    },
  });
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<unknown> = Promise.resolve();
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };
  return {
    settings,
    forge,
    tracker,
    wrap: (workspace) => (workspace ? new PrWorkspace(workspace, { store, settings, content }) : null),
    async afterSuccess(ctx) {
      const prUrl = await publisher.publishTask({
        run: await latestRun(),
        task: ctx.task,
        attempt: ctx.attempt,
        workspace: ctx.workspace,
        result: ctx.result,
        changes: ctx.changes,
        agent: options.agentName(ctx.task),
        verify: options.verify,
      });
      return prUrl ? { prUrl } : {};
    },
    async waitingOutside() {
      return settings.waitForMerge && (await store.listMergeWaits(run.id)).length > 0;
    },
    start() {
      if (settings.pollMs <= 0 || timer) return;
      timer = setInterval(() => {
        // One poll at a time; a failing poll (network) just waits for the next tick.
        polling = polling.then(() => tracker.poll({ runId: run.id })).catch(() => undefined);
      }, settings.pollMs);
      timer.unref();
    },
    async finish() {
      stop();
      await polling;
      await publisher.publishRun(await latestRun());
    },
    stop,
  };
}
