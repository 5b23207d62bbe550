/** Migration for pull request tracking: the `pull_requests` table and the tasks' merge-wait flag. Works on both dialects. */
import { sql } from 'kysely';
import type { Kysely, Migration } from 'kysely';
import { PR_STATES } from './pr-records.js';
import type { StoreDialect } from './migrations.js';

/** `0004_pull_requests`. */
export function pullRequestsMigration(dialect: StoreDialect): Migration {
  const id = dialect === 'postgres' ? sql`text collate "C"` : 'text';
  const states = sql`state in (${sql.join(PR_STATES.map((s) => sql.lit(s)))})`;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('pull_requests')
        .addColumn('run_id', id, (c) => c.notNull().references('runs.id').onDelete('cascade'))
        .addColumn('task_id', id)
        .addColumn('repo', 'text')
        .addColumn('number', 'integer', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('head', id, (c) => c.notNull())
        .addColumn('base', 'text', (c) => c.notNull())
        .addColumn('head_sha', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('draft', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('checks', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('review', 'text')
        .addColumn('mergeable', 'integer')
        .addColumn('checks_failed_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('changes_requested_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('conflict_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_reaction', 'text')
        .addColumn('escalation', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('merged_at', 'bigint')
        .addColumn('closed_at', 'bigint')
        .addColumn('branch_deleted_at', 'bigint')
        .addPrimaryKeyConstraint('pull_requests_pk', ['run_id', 'head'])
        .addCheckConstraint('pull_requests_state_check', states)
        .execute();
      await db.schema.createIndex('pull_requests_number_idx').on('pull_requests').columns(['number']).execute();
      await db.schema.createIndex('pull_requests_head_idx').on('pull_requests').columns(['head']).execute();
      await db.schema.createIndex('pull_requests_task_idx').on('pull_requests').columns(['run_id', 'task_id']).execute();
      await db.schema.createIndex('pull_requests_updated_idx').on('pull_requests').columns(['updated_at desc']).execute();
      // A succeeded task whose PR has to merge before its dependents may start.
      await db.schema.alterTable('tasks').addColumn('merge_wait', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('tasks').dropColumn('merge_wait').execute();
      await db.schema.dropTable('pull_requests').ifExists().execute();
    },
  };
}
