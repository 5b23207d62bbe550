/** A run's pull request settings: the flags stored with the run on top of the config's `pr` and `git` sections. */
import type { WeftConfig } from '../config/config-schema.js';
import type { Json } from '../store/records.js';

/** What `weft run --pr --remote R --github-repo O/N` stores in the run's options (key `pr`). */
export interface RunPrOptions {
  enabled: boolean;
  remote: string | null;
  githubRepo: string | null;
}

export interface ReactionCaps {
  checksFailed: number;
  changesRequested: number;
  conflict: number;
}

/** Everything the PR code needs for one run. */
export interface PrSettings {
  enabled: boolean;
  remote: string;
  githubRepo: string | null;
  draft: boolean;
  labels: string[];
  reviewers: string[];
  assignees: string[];
  signOff: boolean;
  autoMerge: boolean;
  mergeMethod: 'merge' | 'squash' | 'rebase';
  waitForMerge: boolean;
  finalPr: boolean;
  pollMs: number;
  branchPrefix: string;
  reactions: ReactionCaps;
  /** Folder of user templates (config `prompt.templates`); its `pr/` subfolder overrides the PR templates. */
  templatesDir: string | null;
}

/** Reads the run's stored PR flags (absent on runs made before PR support: disabled). */
export function readRunPrOptions(options: { [key: string]: Json }): RunPrOptions {
  const pr = options.pr;
  if (!pr || typeof pr !== 'object' || Array.isArray(pr)) return { enabled: false, remote: null, githubRepo: null };
  const str = (v: Json | undefined) => (typeof v === 'string' && v !== '' ? v : null);
  return { enabled: pr.enabled === true, remote: str(pr.remote), githubRepo: str(pr.githubRepo) };
}

/** The `pr` entry for a run's options. */
export function writeRunPrOptions(o: RunPrOptions): Json {
  return { enabled: o.enabled, remote: o.remote, githubRepo: o.githubRepo };
}

/** Flags win over config; config `pr.enabled` turns PRs on for every run. */
export function resolvePrSettings(config: WeftConfig, run: RunPrOptions): PrSettings {
  const pr = config.pr;
  return {
    enabled: run.enabled || pr.enabled,
    remote: run.remote ?? config.git.remote,
    githubRepo: run.githubRepo ?? pr.githubRepo ?? null,
    draft: pr.draft,
    labels: pr.labels,
    reviewers: pr.reviewers,
    assignees: pr.assignees,
    signOff: pr.signOff,
    autoMerge: pr.autoMerge,
    mergeMethod: pr.mergeMethod,
    waitForMerge: pr.waitForMerge,
    finalPr: pr.finalPr,
    pollMs: pr.pollSeconds * 1000,
    branchPrefix: config.git.branchPrefix,
    reactions: { ...pr.reactions },
    templatesDir: config.prompt.templates ?? null,
  };
}
