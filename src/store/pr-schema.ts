/** Kysely table type of `pull_requests` (see pr-migration.ts); JSON is text, booleans are 0/1. */
import type { Generated, Selectable } from 'kysely';

export interface PullRequestsTable {
  run_id: string;
  task_id: string | null;
  repo: string | null;
  number: number;
  url: string;
  head: string;
  base: string;
  head_sha: string | null;
  state: string;
  draft: Generated<number>;
  /** JSON object: check name -> PrCheck. */
  checks: Generated<string>;
  review: string | null;
  /** 1 mergeable, 0 conflicting, NULL unknown. */
  mergeable: number | null;
  checks_failed_count: Generated<number>;
  changes_requested_count: Generated<number>;
  conflict_count: Generated<number>;
  last_reaction: string | null;
  escalation: string | null;
  created_at: number;
  updated_at: number;
  merged_at: number | null;
  closed_at: number | null;
  branch_deleted_at: number | null;
}

export type PullRequestRow = Selectable<PullRequestsTable>;
