/** Kysely table types of the workflow tables (see workflow-migration.ts). */
export interface WorkflowsTable {
  id: string;
  name: string;
  description: string | null;
  source: string;
  file: string | null;
  definition: string;
  created_at: number;
  updated_at: number;
}

export interface WorkflowRunsTable {
  id: string;
  workflow_id: string | null;
  name: string;
  status: string;
  inputs: string;
  definition: string;
  trigger: string;
  repo: string | null;
  error: string | null;
  cancel_requested: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

export interface WorkflowStepsTable {
  run_id: string;
  key: string;
  step_id: string;
  parent_key: string | null;
  kind: string;
  status: string;
  seq: number;
  attempts: number;
  failed_attempts: number;
  lease_owner: string | null;
  lease_token: number;
  lease_expires_at: number | null;
  not_before: number | null;
  state: string;
  output: string | null;
  error: string | null;
  error_category: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
}

export interface WebhookDeliveriesTable {
  id: string;
  event: string;
  received_at: number;
  run_ids: string;
}

export interface ScheduleTicksTable {
  workflow_id: string;
  tick_at: number;
  run_id: string | null;
  claimed_at: number;
}

/** The workflow tables, merged into the store's Database type. */
export interface WorkflowTables {
  workflows: WorkflowsTable;
  workflow_runs: WorkflowRunsTable;
  workflow_steps: WorkflowStepsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  schedule_ticks: ScheduleTicksTable;
}
