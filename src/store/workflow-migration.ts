/** Migration for seed 004's workflows: definitions, runs, step instances, webhook deliveries, schedule ticks. Both dialects. */
import { sql } from 'kysely';
import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from './migrations.js';
import { STEP_STATUSES, WORKFLOW_RUN_STATUSES } from './workflow-records.js';

function oneOf(column: string, values: readonly string[]) {
  return sql`${sql.ref(column)} in (${sql.join(values.map((v) => sql.lit(v)))})`;
}

/** `workflows`: create the tables. */
export function workflowsMigration(dialect: StoreDialect): Migration {
  const id = dialect === 'postgres' ? sql`text collate "C"` : 'text';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('workflows')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('file', 'text')
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('workflow_runs')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('workflow_id', id)
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('inputs', 'text', (c) => c.notNull())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('trigger', 'text', (c) => c.notNull())
        .addColumn('repo', 'text')
        .addColumn('error', 'text')
        .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('started_at', 'bigint')
        .addColumn('finished_at', 'bigint')
        .addCheckConstraint('workflow_runs_status_check', oneOf('status', WORKFLOW_RUN_STATUSES))
        .execute();
      await db.schema.createIndex('workflow_runs_created_idx').on('workflow_runs').columns(['created_at desc', 'id desc']).execute();
      await db.schema
        .createTable('workflow_steps')
        .addColumn('run_id', id, (c) => c.notNull().references('workflow_runs.id').onDelete('cascade'))
        .addColumn('key', id, (c) => c.notNull())
        .addColumn('step_id', 'text', (c) => c.notNull())
        .addColumn('parent_key', id)
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('failed_attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('lease_owner', 'text')
        .addColumn('lease_token', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('lease_expires_at', 'bigint')
        .addColumn('not_before', 'bigint')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('output', 'text')
        .addColumn('error', 'text')
        .addColumn('error_category', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('started_at', 'bigint')
        .addColumn('finished_at', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('workflow_steps_pk', ['run_id', 'key'])
        .addCheckConstraint('workflow_steps_status_check', oneOf('status', STEP_STATUSES))
        .execute();
      await db.schema.createIndex('workflow_steps_claim_idx').on('workflow_steps').columns(['run_id', 'status', 'seq']).execute();
      await db.schema.createIndex('workflow_steps_status_idx').on('workflow_steps').columns(['status', 'kind']).execute();
      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('run_ids', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('schedule_ticks')
        .addColumn('workflow_id', id, (c) => c.notNull())
        .addColumn('tick_at', 'bigint', (c) => c.notNull())
        .addColumn('run_id', id)
        .addColumn('claimed_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('schedule_ticks_pk', ['workflow_id', 'tick_at'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const t of ['schedule_ticks', 'webhook_deliveries', 'workflow_steps', 'workflow_runs', 'workflows']) await db.schema.dropTable(t).ifExists().execute();
    },
  };
}
