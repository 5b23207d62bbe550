/** Schema migrations, kept in code so a bundled CLI needs no migration folder. Each works on both dialects. */
import { Migrator, sql } from 'kysely';
import type { ColumnDefinitionBuilder, Kysely, Migration, MigrationProvider } from 'kysely';
import { TASK_STATUSES } from '../core/task.js';
import { ATTEMPT_STATUSES, RUN_STATUSES } from './records.js';
import { pullRequestsMigration } from './pr-migration.js';
import { workflowsMigration } from './workflow-migration.js';

export type StoreDialect = 'sqlite' | 'postgres';

/** `column in ('a', 'b', ...)` with inlined literals (DDL takes no bind parameters). */
function oneOf(column: string, values: readonly string[]) {
  return sql`${sql.ref(column)} in (${sql.join(values.map((v) => sql.lit(v)))})`;
}

function initial(dialect: StoreDialect): Migration {
  // Byte-order collation on Postgres makes id ordering (claim tie-break, pagination) match SQLite's.
  const id = dialect === 'postgres' ? sql`text collate "C"` : 'text';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('plans')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('plan', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('plans_created_idx').on('plans').columns(['created_at desc', 'id desc']).execute();

      await db.schema
        .createTable('runs')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('plan_id', id)
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('agent', 'text', (c) => c.notNull())
        .addColumn('concurrency', 'integer', (c) => c.notNull())
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('repo', 'text')
        .addColumn('base_branch', 'text')
        .addColumn('branch', 'text')
        .addColumn('options', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('started_at', 'bigint')
        .addColumn('finished_at', 'bigint')
        .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
        .addCheckConstraint('runs_status_check', oneOf('status', RUN_STATUSES))
        .execute();
      await db.schema.createIndex('runs_created_idx').on('runs').columns(['created_at desc', 'id desc']).execute();

      await db.schema
        .createTable('tasks')
        .addColumn('run_id', id, (c) => c.notNull().references('runs.id').onDelete('cascade'))
        .addColumn('id', id, (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('run_created_at', 'bigint', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('priority', 'text', (c) => c.notNull())
        .addColumn('priority_rank', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('depends_on', 'text', (c) => c.notNull())
        .addColumn('tail_minutes', 'double precision', (c) => c.notNull())
        .addColumn('phase', 'integer')
        .addColumn('estimate_minutes', 'double precision', (c) => c.notNull())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('agent', 'text')
        .addColumn('branch', 'text')
        .addColumn('pr_url', 'text')
        .addColumn('error', 'text')
        .addColumn('failed_attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('attempt_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('lease_owner', 'text')
        .addColumn('lease_token', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('lease_expires_at', 'bigint')
        .addColumn('not_before', 'bigint')
        .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('result', 'text')
        .addColumn('started_at', 'bigint')
        .addColumn('finished_at', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('tasks_pk', ['run_id', 'id'])
        .addCheckConstraint('tasks_status_check', oneOf('status', TASK_STATUSES))
        .execute();
      // claimNext: ready tasks of one run in scheduling order, straight off the index.
      await db.schema
        .createIndex('tasks_claim_idx')
        .on('tasks')
        .columns(['run_id', 'status', 'tail_minutes desc', 'priority_rank', 'id'])
        .execute();
      await db.schema.createIndex('tasks_seq_idx').on('tasks').columns(['run_id', 'seq']).execute();
      // findTasks across runs: newest run first, then task id, with and without a status filter.
      await db.schema
        .createIndex('tasks_find_idx')
        .on('tasks')
        .columns(['run_created_at desc', 'run_id desc', 'id'])
        .execute();
      await db.schema
        .createIndex('tasks_find_status_idx')
        .on('tasks')
        .columns(['status', 'run_created_at desc', 'run_id desc', 'id'])
        .execute();

      await db.schema
        .createTable('task_deps')
        .addColumn('run_id', id, (c) => c.notNull())
        .addColumn('task_id', id, (c) => c.notNull())
        .addColumn('depends_on', id, (c) => c.notNull())
        .addPrimaryKeyConstraint('task_deps_pk', ['run_id', 'task_id', 'depends_on'])
        .addForeignKeyConstraint('task_deps_task_fk', ['run_id', 'task_id'], 'tasks', ['run_id', 'id'], (c) => c.onDelete('cascade'))
        .addForeignKeyConstraint('task_deps_dep_fk', ['run_id', 'depends_on'], 'tasks', ['run_id', 'id'], (c) =>
          c.onDelete('cascade'),
        )
        .execute();
      await db.schema.createIndex('task_deps_depends_on_idx').on('task_deps').columns(['run_id', 'depends_on', 'task_id']).execute();

      await db.schema
        .createTable('attempts')
        .addColumn('run_id', id, (c) => c.notNull())
        .addColumn('task_id', id, (c) => c.notNull())
        .addColumn('number', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('worker_id', 'text', (c) => c.notNull())
        .addColumn('token', 'bigint', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .addColumn('error_category', 'text')
        .addColumn('error', 'text')
        .addColumn('output', 'text')
        .addColumn('result', 'text')
        .addPrimaryKeyConstraint('attempts_pk', ['run_id', 'task_id', 'number'])
        .addForeignKeyConstraint('attempts_task_fk', ['run_id', 'task_id'], 'tasks', ['run_id', 'id'], (c) => c.onDelete('cascade'))
        .addCheckConstraint('attempts_status_check', oneOf('status', ATTEMPT_STATUSES))
        .execute();

      await db.schema
        .createTable('events')
        .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('run_id', id)
        .addColumn('task_id', id)
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('data', 'text')
        .execute();
      await db.schema.createIndex('events_run_idx').on('events').columns(['run_id', 'id']).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of ['events', 'attempts', 'task_deps', 'tasks', 'runs', 'plans']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}

/**
 * Index statistics for SQLite's planner, shaped like a big database (many runs, ~1,000 tasks each).
 * Without any, SQLite may answer "the pending dependents of X" by scanning every pending task of the
 * run through the claim index instead of probing the primary key; with these, every hot-path query
 * gets the index-probe plan from the first task on. Postgres keeps its own statistics.
 */
const SQLITE_PLANNER_STATS: [table: string, index: string, stat: string][] = [
  ['plans', 'sqlite_autoindex_plans_1', '1000 1'],
  ['plans', 'plans_created_idx', '1000 1 1'],
  ['runs', 'sqlite_autoindex_runs_1', '1000 1'],
  ['runs', 'runs_created_idx', '1000 1 1'],
  ['tasks', 'sqlite_autoindex_tasks_1', '1000000 1000 1'],
  ['tasks', 'tasks_claim_idx', '1000000 1000 200 2 2 1'],
  ['tasks', 'tasks_seq_idx', '1000000 1000 1'],
  ['tasks', 'tasks_find_idx', '1000000 1000 1000 1'],
  ['tasks', 'tasks_find_status_idx', '1000000 200000 200 200 1'],
  ['task_deps', 'sqlite_autoindex_task_deps_1', '2000000 2000 2 1'],
  ['task_deps', 'task_deps_depends_on_idx', '2000000 2000 2 1'],
  ['attempts', 'sqlite_autoindex_attempts_1', '2000000 2000 2 1'],
  ['events', 'events_run_idx', '10000000 10000 1'],
];

function plannerStats(dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'sqlite') return;
      await sql`analyze`.execute(db); // creates sqlite_stat1
      await sql`delete from sqlite_stat1`.execute(db);
      for (const [table, index, stat] of SQLITE_PLANNER_STATS) {
        await sql`insert into sqlite_stat1 (tbl, idx, stat) values (${table}, ${index}, ${stat})`.execute(db);
      }
      await sql`analyze sqlite_schema`.execute(db); // reload them into this connection
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'sqlite') await sql`delete from sqlite_stat1`.execute(db);
    },
  };
}

/** The API server's tables: the audit log of mutating calls, and the memory of what finished tasks produced. */
function auditAndMemory(dialect: StoreDialect): Migration {
  const serial = (c: ColumnDefinitionBuilder) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement());
  const id = dialect === 'postgres' ? sql`text collate "C"` : 'text';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('audit_log')
        .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', serial)
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('body', 'text')
        .execute();
      await db.schema
        .createTable('memory')
        .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', serial)
        .addColumn('run_id', id, (c) => c.notNull())
        .addColumn('task_id', id, (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('summary', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('memory_task_unique', ['run_id', 'task_id'])
        .execute();
      await db.schema.createIndex('memory_created_idx').on('memory').columns(['created_at desc', 'id desc']).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('memory').ifExists().execute();
      await db.schema.dropTable('audit_log').ifExists().execute();
    },
  };
}

/** Per-attempt usage the agent reported: tokens, cost, turns, model and session (issue 9). */
/** The agent process of an attempt (pid = process group, host), so a resume can end a survivor. */
function attemptProcess(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('attempts').addColumn('process', 'text').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('attempts').dropColumn('process').execute();
    },
  };
}

function attemptUsage(): Migration {
  const columns: [string, 'bigint' | 'integer' | 'double precision' | 'text'][] = [
    ['input_tokens', 'bigint'],
    ['output_tokens', 'bigint'],
    ['cached_input_tokens', 'bigint'],
    ['cost_usd', 'double precision'],
    ['turns', 'integer'],
    ['model', 'text'],
    ['session_id', 'text'],
  ];
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // One column per statement: SQLite's ALTER TABLE adds one at a time.
      for (const [name, type] of columns) await db.schema.alterTable('attempts').addColumn(name, type).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const [name] of columns) await db.schema.alterTable('attempts').dropColumn(name).execute();
    },
  };
}

/** Why a run ended (`budget`) and the backends it paused (usage limits), for status and the API (issue 9). */
function runReasonAndPauses(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('runs').addColumn('reason', 'text').execute();
      await db.schema.alterTable('runs').addColumn('pauses', 'text').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('runs').dropColumn('pauses').execute();
      await db.schema.alterTable('runs').dropColumn('reason').execute();
    },
  };
}

/** The verify command's output per attempt (issue 12): what failed, visible in status, report, log and API. */
function attemptVerifyOutput(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('attempts').addColumn('verify_output', 'text').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('attempts').dropColumn('verify_output').execute();
    },
  };
}

/** All migrations, in order; names sort in application order. */
export function migrationProvider(dialect: StoreDialect): MigrationProvider {
  return {
    getMigrations: () =>
      Promise.resolve({
        '0001_initial': initial(dialect),
        '0002_planner_stats': plannerStats(dialect),
        '0003_audit_and_memory': auditAndMemory(dialect),
        '0004_pull_requests': pullRequestsMigration(dialect),
        '0005_attempt_usage': attemptUsage(),
        '0006_run_reason_and_pauses': runReasonAndPauses(),
        '0007_workflows': workflowsMigration(dialect),
        '0008_attempt_process': attemptProcess(),
        '0009_attempt_verify_output': attemptVerifyOutput(),
      }),
  };
}

/** Applies every pending migration; throws the first failure. */
export async function migrateToLatest(db: Kysely<unknown>, dialect: StoreDialect): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider(dialect) });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(`migration failed: ${String(error)}`);
}
