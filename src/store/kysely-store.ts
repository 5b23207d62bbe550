/**
 * The Store over Kysely, shared by SQLite and Postgres. Dialect differences are confined to
 * `#write` (how a write transaction starts) and a few Postgres-only row locks.
 */
import { CompiledQuery, sql } from 'kysely';
import type { Compilable, ExpressionBuilder, Kysely, QueryCreator, QueryResult, Transaction } from 'kysely';
import { ConflictError, InputError, NotFoundError } from '../core/errors.js';
import { PRIORITY_RANK, SATISFYING_STATUSES } from '../core/task.js';
import type { Plan, Priority, TaskSpec, TaskStatus, TaskType } from '../core/task.js';
import { cleanUsage, emptyTotals, USAGE_NUMBERS, type AgentUsage, type UsageNumber, type UsageTotals } from '../core/usage.js';
import { migrateToLatest } from './migrations.js';
import type { StoreDialect } from './migrations.js';
import type {
  AttemptOutcome,
  AttemptRecord,
  AttemptStatus,
  AttemptTime,
  AuditRecord,
  Claim,
  CompletionResult,
  ErrorCategory,
  EventRecord,
  HeartbeatResult,
  Json,
  MemoryRecord,
  NewAudit,
  NewEvent,
  NewMemory,
  NewRun,
  NewTask,
  BackendPause,
  RunReason,
  RunRecord,
  RunStatus,
  SavedPlan,
  TaskFilter,
  TaskPage,
  TaskRecord,
  TaskState,
  AttemptProcess,
} from './records.js';
import type { AttemptRow, AuditRow, Database, EventRow, MemoryRow, NewTaskRow, PlanRow, RunRow, TaskRow } from './schema.js';
import type { RunPatch, Store, TaskPatch } from './store.js';
import * as prs from './kysely-pull-requests.js';
import { KyselyWorkflowStore } from './kysely-workflows.js';
import type { WorkflowStore } from './workflow-store.js';
import type {
  PrReactionKind,
  PullRequestFilter,
  PullRequestInput,
  PullRequestPatch,
  PullRequestRecord,
  PullRequestStats,
  ReopenFeedback,
} from './pr-records.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Rows per multi-row INSERT / ids per IN list: well under both dialects' bind-parameter limits. */
const CHUNK = 500;
/** An attempt keeps at most this much of the agent's output (the end of it). */
const MAX_OUTPUT_CHARS = 256 * 1024;
const OPEN: TaskStatus[] = ['pending', 'ready'];
/** Postgres deadlock and serialization failures: the transaction is safe to run again. */
const RETRYABLE_PG_CODES = new Set(['40P01', '40001']);

/** Completions one Postgres transaction takes at most. */
const MAX_COMPLETION_BATCH = 64;

interface Completion {
  runId: string;
  taskId: string;
  token: number;
  outcome: AttemptOutcome;
  now: number;
}

interface PendingCompletion extends Completion {
  resolve: (r: CompletionResult) => void;
  reject: (err: unknown) => void;
}

/** Items grouped by key, in first-seen order. */
function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** Serializes async critical sections. */
export class AsyncLock {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` after every earlier caller's `fn` has settled. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn, fn);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

const SLOT = Symbol('slot');
type Slot = { readonly [SLOT]: string };
type SlotName =
  | 'runId'
  | 'taskId'
  | 'workerId'
  | 'now'
  | 'expiresAt'
  | 'number'
  | 'token'
  | 'message'
  | 'result'
  | 'retryAt'
  | 'status'
  | 'category'
  | 'error'
  | 'output'
  | 'limit'
  | 'verify_output'
  | UsageColumn;
/** Named placeholders for a prepared query; typed `never` so they fit any column. */
type Slots = Readonly<Record<SlotName, never>>;
const slots = new Proxy({}, { get: (_target, key): Slot => ({ [SLOT]: String(key) }) }) as Slots;

function isSlot(value: unknown): value is Slot {
  return typeof value === 'object' && value !== null && SLOT in value;
}

/**
 * A query built and compiled once; each execution only swaps in its named parameters. Building a
 * Kysely query costs more than running it on SQLite, so the per-task hot path uses these.
 */
class Prepared<R> {
  readonly #compiled: CompiledQuery<R>;
  readonly #params: (string | { value: unknown })[];

  constructor(query: Compilable<R>) {
    this.#compiled = query.compile();
    this.#params = this.#compiled.parameters.map((value) => (isSlot(value) ? value[SLOT] : { value }));
  }

  execute(db: Db, values: Partial<Record<SlotName, unknown>>): Promise<QueryResult<R>> {
    const parameters = this.#params.map((p) => {
      if (typeof p !== 'string') return p.value;
      if (!(p in values)) throw new Error(`prepared query: missing parameter ${p}`);
      return values[p as SlotName];
    });
    return db.executeQuery({ ...this.#compiled, parameters });
  }

  get sql(): string {
    return this.#compiled.sql;
  }
}

const BEGIN_IMMEDIATE = CompiledQuery.raw('begin immediate');
const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');

export interface KyselyStoreOptions {
  /**
   * SQLite only: the lock every writer to the same database file in this process shares. better-sqlite3
   * waits for a busy database synchronously, so a second connection in the same process waiting for
   * the first one's open transaction would block the event loop that has to finish it.
   */
  writeLock?: AsyncLock;
  /** Told the SQL text of each hot-path query once, e.g. so the Postgres pool can prepare it server-side. */
  onPrepare?: (sql: string) => void;
}

/** One Store implementation for both dialects; open it with openSqliteStore / openPostgresStore. */
export class KyselyStore implements Store {
  readonly dialect: StoreDialect;
  readonly #db: Kysely<Database>;
  readonly #writeLock: AsyncLock;
  readonly #prepared = new Map<string, Prepared<unknown>>();
  readonly #onPrepare: ((sql: string) => void) | undefined;
  /** Postgres: completions waiting for the next group commit, and whether one is under way. */
  readonly #completions: PendingCompletion[] = [];
  #flushing = false;

  constructor(db: Kysely<Database>, dialect: StoreDialect, opts: KyselyStoreOptions = {}) {
    this.#db = db;
    this.dialect = dialect;
    this.#writeLock = opts.writeLock ?? new AsyncLock();
    this.#onPrepare = opts.onPrepare;
    this.workflows = new KyselyWorkflowStore(db, dialect, (fn) => this.#write(fn), (fn) => this.#writeOne(fn));
  }

  /** The workflow tables (seed 004). */
  readonly workflows: WorkflowStore;

  /** Brings the schema up to date. */
  migrate(): Promise<void> {
    const run = () => migrateToLatest(this.#db as unknown as Kysely<unknown>, this.dialect);
    return this.dialect === 'sqlite' ? this.#writeLock.run(run) : run();
  }

  /** Closes the database (SQLite) or ends the pool (Postgres). */
  close(): Promise<void> {
    return this.#db.destroy();
  }

  /** Runs `fn` in a write transaction: BEGIN IMMEDIATE on SQLite, retried on deadlock on Postgres. */
  async #write<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    if (this.dialect === 'sqlite') {
      // A deferred BEGIN could fail to upgrade its read lock when another process writes; take the write lock up front.
      const transaction = () =>
        this.#db.connection().execute(async (conn) => {
          await conn.executeQuery(BEGIN_IMMEDIATE);
          try {
            const result = await fn(conn);
            await conn.executeQuery(COMMIT);
            return result;
          } catch (err) {
            await conn.executeQuery(ROLLBACK).catch(() => undefined);
            throw err;
          }
        });
      return this.#writeLock.run(transaction);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#db.transaction().execute(fn);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (attempt >= 5 || typeof code !== 'string' || !RETRYABLE_PG_CODES.has(code)) throw err;
      }
    }
  }

  /** Runs a single write statement, which is atomic by itself; SQLite still takes the process-wide write lock. */
  #writeOne<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.dialect === 'sqlite' ? this.#writeLock.run(() => fn(this.#db)) : fn(this.#db);
  }

  /** The prepared query named `key`, built by `build` on first use. */
  #query<R>(key: string, build: (db: Kysely<Database>, p: Slots) => Compilable<R>): Prepared<R> {
    let q = this.#prepared.get(key) as Prepared<R> | undefined;
    if (!q) {
      q = new Prepared(build(this.#db, slots));
      this.#prepared.set(key, q as Prepared<unknown>);
      this.#onPrepare?.(q.sql);
    }
    return q;
  }

  async savePlan(plan: Plan, meta: { id: string; source: string; createdAt: number }): Promise<SavedPlan> {
    const row: PlanRow = { id: meta.id, title: plan.title, source: meta.source, created_at: meta.createdAt, plan: JSON.stringify(plan) };
    await this.#writeOne((db) =>
      db
        .insertInto('plans')
        .values(row)
        .onConflict((oc) => oc.column('id').doUpdateSet({ title: row.title, source: row.source, created_at: row.created_at, plan: row.plan }))
        .execute(),
    );
    return toPlan(row);
  }

  async getPlan(id: string): Promise<SavedPlan | undefined> {
    const row = await this.#db.selectFrom('plans').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toPlan(row);
  }

  async listPlans(limit?: number): Promise<SavedPlan[]> {
    let q = this.#db.selectFrom('plans').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc');
    if (limit !== undefined) q = q.limit(limit);
    return (await q.execute()).map(toPlan);
  }

  async createRun(run: NewRun, tasks: NewTask[]): Promise<RunRecord> {
    const specStatus = new Map<string, TaskSpec['status']>();
    for (const { spec } of tasks) {
      if (specStatus.has(spec.id)) throw new InputError(`run ${run.id}: duplicate task id ${spec.id}`, { taskId: spec.id });
      specStatus.set(spec.id, spec.status);
    }
    const deps: { run_id: string; task_id: string; depends_on: string }[] = [];
    for (const { spec } of tasks) {
      for (const dep of new Set(spec.dependsOn)) {
        if (!specStatus.has(dep)) {
          throw new InputError(`task ${spec.id} depends on unknown task ${dep}`, { taskId: spec.id, dependsOn: dep });
        }
        deps.push({ run_id: run.id, task_id: spec.id, depends_on: dep });
      }
    }
    const runRow: RunRow = {
      id: run.id,
      plan_id: run.planId ?? null,
      title: run.title,
      status: 'pending',
      agent: run.agent,
      concurrency: run.concurrency,
      max_attempts: run.maxAttempts,
      repo: run.repo ?? null,
      base_branch: run.baseBranch ?? null,
      branch: run.branch ?? null,
      options: JSON.stringify(run.options ?? {}),
      error: null,
      created_at: run.createdAt,
      started_at: null,
      finished_at: null,
      cancel_requested: 0,
      reason: null,
      pauses: null,
    };
    const taskRows: NewTaskRow[] = tasks.map(({ spec, tailMinutes, phase }, seq) => ({
      run_id: run.id,
      id: spec.id,
      seq,
      run_created_at: run.createdAt,
      title: spec.title,
      type: spec.type,
      priority: spec.priority,
      priority_rank: PRIORITY_RANK[spec.priority],
      status: initialStatus(spec, specStatus),
      depends_on: JSON.stringify(spec.dependsOn),
      tail_minutes: tailMinutes,
      phase,
      estimate_minutes: spec.estimateMinutes,
      spec: JSON.stringify(spec),
      agent: spec.agent ?? null,
      updated_at: run.createdAt,
    }));
    await this.#write(async (db) => {
      const existing = await db.selectFrom('runs').select('id').where('id', '=', run.id).executeTakeFirst();
      if (existing) throw new ConflictError(`run ${run.id} already exists`, { runId: run.id });
      await db.insertInto('runs').values(runRow).execute();
      // Tasks have ~30 columns; keep each statement's parameter count modest.
      for (const part of chunks(taskRows, 100)) await db.insertInto('tasks').values(part).execute();
      for (const part of chunks(deps, CHUNK)) await db.insertInto('task_deps').values(part).execute();
    });
    return toRun(runRow);
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const row = await this.#db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRun(row);
  }

  async latestRun(): Promise<RunRecord | undefined> {
    return (await this.listRuns(1))[0];
  }

  async listRuns(limit?: number): Promise<RunRecord[]> {
    let q = this.#db.selectFrom('runs').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc');
    if (limit !== undefined) q = q.limit(limit);
    return (await q.execute()).map(toRun);
  }

  async updateRun(id: string, patch: RunPatch): Promise<void> {
    const set: Partial<RunRow> = {};
    if (patch.status !== undefined) set.status = patch.status;
    if (patch.startedAt !== undefined) set.started_at = patch.startedAt;
    if (patch.finishedAt !== undefined) set.finished_at = patch.finishedAt;
    if (patch.branch !== undefined) set.branch = patch.branch;
    if (patch.error !== undefined) set.error = patch.error;
    if (patch.baseBranch !== undefined) set.base_branch = patch.baseBranch;
    if (patch.reason !== undefined) set.reason = patch.reason;
    if (patch.options !== undefined) set.options = JSON.stringify(patch.options);
    if (patch.pauses !== undefined) set.pauses = patch.pauses.length ? JSON.stringify(patch.pauses) : null;
    if (Object.keys(set).length === 0) {
      if (!(await this.getRun(id))) throw new NotFoundError(`run ${id} not found`, { runId: id });
      return;
    }
    const res = await this.#writeOne((db) => db.updateTable('runs').set(set).where('id', '=', id).executeTakeFirst());
    if (res.numUpdatedRows === 0n) throw new NotFoundError(`run ${id} not found`, { runId: id });
  }

  async listTasks(runId: string): Promise<TaskRecord[]> {
    const rows = await this.#db.selectFrom('tasks').selectAll().where('run_id', '=', runId).orderBy('seq').execute();
    return rows.map(toTask);
  }

  async getTask(runId: string, taskId: string): Promise<TaskRecord | undefined> {
    const row = await this.#db.selectFrom('tasks').selectAll().where('run_id', '=', runId).where('id', '=', taskId).executeTakeFirst();
    return row && toTask(row);
  }

  async findTasks(filter: TaskFilter): Promise<TaskPage> {
    const limit = Math.max(1, Math.floor(filter.limit));
    let q = this.#db.selectFrom('tasks').selectAll();
    if (filter.runId !== undefined) q = q.where('run_id', '=', filter.runId);
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    if (filter.priority !== undefined) q = q.where('priority', '=', filter.priority);
    if (filter.type !== undefined) q = q.where('type', '=', filter.type);
    if (filter.cursor) {
      const [at, runId, taskId] = decodeCursor(filter.cursor);
      // Keyset condition for ORDER BY run_created_at DESC, run_id DESC, id ASC.
      q = q.where((eb) =>
        eb.or([
          eb('run_created_at', '<', at),
          eb.and([eb('run_created_at', '=', at), eb('run_id', '<', runId)]),
          eb.and([eb('run_created_at', '=', at), eb('run_id', '=', runId), eb('id', '>', taskId)]),
        ]),
      );
    }
    const rows = await q
      .orderBy('run_created_at', 'desc')
      .orderBy('run_id', 'desc')
      .orderBy('id', 'asc')
      .limit(limit + 1)
      .execute();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    const nextCursor = rows.length > limit && last ? encodeCursor([last.run_created_at, last.run_id, last.id]) : null;
    return { tasks: page.map(toTask), nextCursor };
  }

  async updateTask(runId: string, taskId: string, patch: TaskPatch): Promise<void> {
    const set: Partial<TaskRow> = {};
    if (patch.branch !== undefined) set.branch = patch.branch;
    if (patch.prUrl !== undefined) set.pr_url = patch.prUrl;
    if (patch.result !== undefined) set.result = json(patch.result);
    if (patch.agent !== undefined) set.agent = patch.agent;
    set.updated_at = Date.now();
    const res = await this.#writeOne((db) =>
      db.updateTable('tasks').set(set).where('run_id', '=', runId).where('id', '=', taskId).executeTakeFirst(),
    );
    if (res.numUpdatedRows === 0n) throw new NotFoundError(`task ${taskId} not found in run ${runId}`, { runId, taskId });
  }

  async recordAttemptProcess(runId: string, taskId: string, attempt: number, process: AttemptProcess): Promise<void> {
    await this.#writeOne((db) =>
      db.updateTable('attempts').set({ process: JSON.stringify(process) }).where('run_id', '=', runId).where('task_id', '=', taskId).where('number', '=', attempt).execute(),
    );
  }

  async listAttempts(runId: string, taskId?: string): Promise<AttemptRecord[]> {
    let q = this.#db.selectFrom('attempts').selectAll().where('run_id', '=', runId);
    q = taskId !== undefined ? q.where('task_id', '=', taskId) : q.orderBy('started_at');
    return (await q.orderBy('task_id').orderBy('number').execute()).map(toAttempt);
  }

  async listTaskStates(runId: string): Promise<TaskState[]> {
    const rows = await this.#db
      .selectFrom('tasks')
      .select(['id', 'status', 'depends_on', 'estimate_minutes', 'priority', 'started_at', 'finished_at'])
      .where('run_id', '=', runId)
      .orderBy('seq')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      status: r.status as TaskStatus,
      dependsOn: JSON.parse(r.depends_on) as string[],
      estimateMinutes: r.estimate_minutes,
      priority: r.priority as Priority,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
    }));
  }

  async listAttemptTimes(runId: string): Promise<AttemptTime[]> {
    const rows = await this.#db
      .selectFrom('attempts')
      .select(['task_id', 'number', 'status', 'started_at', 'finished_at'])
      .where('run_id', '=', runId)
      .orderBy('task_id')
      .orderBy('number')
      .execute();
    return rows.map((r) => ({ taskId: r.task_id, number: r.number, status: r.status as AttemptStatus, startedAt: r.started_at, finishedAt: r.finished_at }));
  }

  async claimNext(runId: string, workerId: string, leaseMs: number, now: number): Promise<Claim | undefined> {
    const [claim] = await this.claimBatch(runId, workerId, 1, leaseMs, now);
    return claim;
  }

  async claimBatch(runId: string, workerId: string, max: number, leaseMs: number, now: number): Promise<Claim[]> {
    if (max < 1) return [];
    const values = { runId, workerId, now, expiresAt: now + leaseMs, limit: max };
    const toClaim = (row: TaskRow): Claim => {
      const attempt: AttemptRow = {
        run_id: runId,
        task_id: row.id,
        number: row.attempt_count,
        status: 'running',
        worker_id: workerId,
        token: row.lease_token,
        started_at: now,
        finished_at: null,
        error_category: null,
        error: null,
        output: null,
        result: null,
        verify_output: null,
        ...NO_USAGE,
        process: null,
      };
      return { task: toTask(row), attempt: toAttempt(attempt), token: row.lease_token };
    };
    if (this.dialect === 'postgres') {
      // One statement claims the batch and opens its attempts: atomic without a transaction, one round trip.
      const { rows } = await this.#query('claimBatchPg', (db, p) =>
        db
          // The pick is a CTE of its own: a LIMIT … FOR UPDATE SKIP LOCKED subquery inside the UPDATE's
          // WHERE may be evaluated more than once and skip rows it locked itself.
          .with('picked', (q) => this.#claimable(q, p).forUpdate().skipLocked())
          .with('claimed', (q) =>
            q
              .updateTable('tasks')
              .set((eb) => this.#claimSet(eb, p))
              .from('picked')
              .where('tasks.run_id', '=', p.runId)
              .whereRef('tasks.id', '=', 'picked.id')
              .where('tasks.status', '=', 'ready')
              .returningAll('tasks'),
          )
          .with('opened', (q) =>
            q
              .insertInto('attempts')
              .columns(['run_id', 'task_id', 'number', 'status', 'worker_id', 'token', 'started_at'])
              .expression((eb) =>
                eb
                  .selectFrom('claimed')
                  .select((s) => [
                    'claimed.run_id',
                    'claimed.id',
                    'claimed.attempt_count',
                    sql<AttemptStatus>`'running'`.as('status'),
                    sql<string>`cast(${p.workerId} as text)`.as('worker_id'),
                    'claimed.lease_token',
                    s.cast<number>(sql`${p.now}`, 'bigint').as('started_at'),
                  ]),
              ),
          )
          .selectFrom('claimed')
          .selectAll(),
      ).execute(this.#db, values);
      return sortClaims(rows as TaskRow[]).map(toClaim);
    }
    const claim = this.#query('claimBatch', (db, p) =>
      db
        .updateTable('tasks')
        .set((eb) => this.#claimSet(eb, p))
        .where('run_id', '=', p.runId)
        .where('id', 'in', this.#claimable(db, p))
        .where('status', '=', 'ready')
        .returningAll(),
    );
    const openAttempt = this.#query('openAttempt', (db, p) =>
      db.insertInto('attempts').values({
        run_id: p.runId,
        task_id: p.taskId,
        number: p.number,
        status: 'running',
        worker_id: p.workerId,
        token: p.token,
        started_at: p.now,
      }),
    );
    return this.#write(async (db) => {
      const rows = sortClaims((await claim.execute(db, values)).rows);
      for (const row of rows) await openAttempt.execute(db, { runId, taskId: row.id, number: row.attempt_count, workerId, token: row.lease_token, now });
      return rows.map(toClaim);
    });
  }

  /** The best `limit` claimable tasks of a run, in scheduling order: longest tail, priority, id. */
  #claimable(db: Kysely<Database> | QueryCreator<Database>, p: Slots) {
    return db
      .selectFrom('tasks')
      .select('id')
      .where('run_id', '=', p.runId)
      .where('status', '=', 'ready')
      .where((eb) => eb.or([eb('not_before', 'is', null), eb('not_before', '<=', p.now)]))
      .orderBy('tail_minutes', 'desc')
      .orderBy('priority_rank', 'asc')
      .orderBy('id', 'asc')
      .limit(p.limit);
  }

  /** What a claim sets: running under a new lease with the next fencing token and attempt number. */
  #claimSet(eb: ExpressionBuilder<Database, 'tasks'>, p: Slots) {
    return {
      status: 'running' as const,
      lease_token: eb('lease_token', '+', 1),
      lease_owner: p.workerId,
      lease_expires_at: p.expiresAt,
      attempt_count: eb('attempt_count', '+', 1),
      started_at: eb.fn.coalesce('started_at', sql<number>`cast(${p.now} as bigint)`),
      updated_at: p.now,
    };
  }

  async releaseClaim(runId: string, taskId: string, token: number, notBefore: number, now: number): Promise<boolean> {
    return this.#write(async (db) => {
      // SET expressions read the row's old values on both dialects.
      const row = await db
        .updateTable('tasks')
        .set({
          status: sql<string>`case when cancel_requested = 1 then 'cancelled' else 'ready' end`,
          finished_at: sql<number | null>`case when cancel_requested = 1 then cast(${now} as bigint) else null end`,
          error: sql<string | null>`case when cancel_requested = 1 then 'cancelled' else error end`,
          attempt_count: sql<number>`attempt_count - 1`,
          started_at: sql<number | null>`case when attempt_count = 1 then null else started_at end`,
          not_before: notBefore,
          updated_at: now,
        })
        .where('run_id', '=', runId)
        .where('id', '=', taskId)
        .where('status', '=', 'running')
        .where('lease_token', '=', token)
        .returning(['status', 'attempt_count'])
        .executeTakeFirst();
      if (!row) return false;
      await db
        .deleteFrom('attempts')
        .where('run_id', '=', runId)
        .where('task_id', '=', taskId)
        .where('number', '=', row.attempt_count + 1)
        .where('status', '=', 'running')
        .execute();
      if (row.status === 'cancelled') await this.#blockDependents(db, runId, taskId, now);
      return true;
    });
  }

  async heartbeat(runId: string, taskId: string, token: number, leaseMs: number, now: number): Promise<HeartbeatResult> {
    const extend = this.#query('heartbeat', (db, p) =>
      db
        .updateTable('tasks')
        .set({ lease_expires_at: p.expiresAt })
        .where('run_id', '=', p.runId)
        .where('id', '=', p.taskId)
        .where('status', '=', 'running')
        .where('lease_token', '=', p.token)
        .returning('cancel_requested'),
    );
    const [row] = (await this.#writeOne((db) => extend.execute(db, { runId, taskId, token, expiresAt: now + leaseMs }))).rows;
    if (row) return { ok: true, cancelRequested: row.cancel_requested !== 0 };
    const cur = await this.#db
      .selectFrom('tasks')
      .select(['status', 'cancel_requested'])
      .where('run_id', '=', runId)
      .where('id', '=', taskId)
      .executeTakeFirst();
    return { ok: false, cancelRequested: cur !== undefined && (cur.cancel_requested !== 0 || cur.status === 'cancelled') };
  }

  completeAttempt(runId: string, taskId: string, token: number, outcome: AttemptOutcome, now: number): Promise<CompletionResult> {
    if (this.dialect === 'sqlite') return this.#write((db) => this.#completeIn(db, { runId, taskId, token, outcome, now }, true));
    // Postgres: completions arriving together share one transaction (group commit). One transaction
    // per completion spent most of its time waiting on the row locks and commits of the others.
    return new Promise((resolve, reject) => {
      this.#completions.push({ runId, taskId, token, outcome, now, resolve, reject });
      this.#scheduleFlush();
    });
  }

  #scheduleFlush(): void {
    if (this.#flushing || this.#completions.length === 0) return;
    this.#flushing = true;
    setImmediate(() => void this.#flushCompletions());
  }

  async #flushCompletions(): Promise<void> {
    const batch = this.#completions.splice(0, MAX_COMPLETION_BATCH);
    // Row locks in one order (run, task) across batches of every process, so they rarely deadlock (and a deadlock is retried).
    batch.sort((a, b) => (a.runId === b.runId ? (a.taskId < b.taskId ? -1 : 1) : a.runId < b.runId ? -1 : 1));
    try {
      const results = await this.#write(async (db) => {
        for (const [runId, items] of groupBy(batch.filter((c) => c.outcome.kind === 'succeeded'), (c) => c.runId)) {
          await this.#lockDependents(db, runId, items.map((c) => c.taskId));
        }
        const out: (CompletionResult | ConflictError)[] = [];
        for (const item of batch) {
          try {
            out.push(await this.#completeIn(db, item, false));
          } catch (err) {
            if (!(err instanceof ConflictError)) throw err;
            out.push(err);
          }
        }
        return out;
      });
      batch.forEach((item, i) => {
        const r = results[i]!;
        if (r instanceof ConflictError) item.reject(r);
        else item.resolve(r);
      });
    } catch (err) {
      for (const item of batch) item.reject(err);
    } finally {
      this.#flushing = false;
      this.#scheduleFlush();
    }
  }

  /** Locks the dependents of `taskIds` in id order, so that dependencies finishing at once in other transactions see each other's commits. */
  async #lockDependents(db: Db, runId: string, taskIds: string[]): Promise<void> {
    for (const ids of chunks(taskIds, CHUNK)) {
      await db
        .selectFrom('tasks')
        .select('id')
        .where('run_id', '=', runId)
        .where('id', 'in', (q) => q.selectFrom('task_deps').select('task_id').where('run_id', '=', runId).where('depends_on', 'in', ids))
        .orderBy('id')
        .forUpdate()
        .execute();
    }
  }

  /** Ends one attempt inside a transaction; ConflictError (nothing changed) when `token` is not current. */
  async #completeIn(db: Db, c: Completion, lockDependents: boolean): Promise<CompletionResult> {
    const { runId, taskId, token, outcome, now } = c;
    const variant = completionVariant(outcome);
    // The token check and the state change are one statement, so a stale worker can never win a race.
    const finishTask = this.#query(`complete:${variant}`, (db, p) =>
      db
        .updateTable('tasks')
        .set(taskCompletion(variant, p))
        .where('run_id', '=', p.runId)
        .where('id', '=', p.taskId)
        .where('status', '=', 'running')
        .where('lease_token', '=', p.token)
        .returningAll(),
    );
    const finishAttempt = this.#query('finishAttempt', (db, p) =>
      db
        .updateTable('attempts')
        .set({
          status: p.status,
          error_category: p.category,
          error: p.error,
          output: p.output,
          result: p.result,
          finished_at: p.now,
          input_tokens: p.input_tokens,
          output_tokens: p.output_tokens,
          cached_input_tokens: p.cached_input_tokens,
          cost_usd: p.cost_usd,
          turns: p.turns,
          model: p.model,
          session_id: p.session_id,
          verify_output: p.verify_output,
        })
        .where('run_id', '=', p.runId)
        .where('task_id', '=', p.taskId)
        .where('number', '=', p.number),
    );
    const message = outcome.kind === 'succeeded' ? null : storableText(outcome.message);
    const result = outcome.kind === 'cancelled' ? undefined : outcome.result;
    const values = { runId, taskId, token, now, message, result: json(result), retryAt: outcome.kind === 'failed' ? outcome.retryAt : null };
    const [row] = (await finishTask.execute(db, values)).rows;
    if (!row) throw await staleToken(db, runId, taskId, token);
    await finishAttempt.execute(db, { runId, taskId, number: row.attempt_count, now, ...attemptCompletion(outcome) });
    let unblocked: string[] = [];
    let blocked: string[] = [];
    if (row.status === 'succeeded') unblocked = await this.#readyDependents(db, runId, taskId, now, lockDependents);
    else if (row.status === 'failed' || row.status === 'cancelled') blocked = await this.#blockDependents(db, runId, taskId, now);
    return { task: toTask(row), unblocked, blocked };
  }

  async reclaimExpired(runId: string, now: number, isOwnerGone?: (owner: string) => boolean, opts: { maxInterruptions?: number } = {}): Promise<string[]> {
    let q = this.#db
      .selectFrom('tasks')
      .select(['id', 'lease_owner', 'lease_token', 'lease_expires_at'])
      .where('run_id', '=', runId)
      .where('status', '=', 'running');
    if (!isOwnerGone) q = q.where('lease_expires_at', '<=', now);
    const victims = (await q.execute()).flatMap((r) => {
      const expired = r.lease_expires_at === null || r.lease_expires_at <= now;
      const gone = !expired && isOwnerGone !== undefined && r.lease_owner !== null && isOwnerGone(r.lease_owner);
      return expired || gone ? [{ id: r.id, token: r.lease_token, reason: expired ? 'lease expired' : `worker ${r.lease_owner} is gone` }] : [];
    });
    if (victims.length === 0) return [];
    return this.#write(async (db) => {
      const reclaimed: string[] = [];
      for (const v of victims) {
        // A task whose cancellation was pending is cancelled rather than handed out again.
        const row = await db
          .updateTable('tasks')
          .set({
            status: sql<string>`case when cancel_requested = 1 then 'cancelled' else 'ready' end`,
            finished_at: sql<number | null>`case when cancel_requested = 1 then cast(${now} as bigint) else null end`,
            error: sql<string | null>`case when cancel_requested = 1 then 'cancelled' else error end`,
            updated_at: now,
          })
          .where('run_id', '=', runId)
          .where('id', '=', v.id)
          .where('status', '=', 'running')
          .where('lease_token', '=', v.token)
          .returning(['id', 'status', 'attempt_count'])
          .executeTakeFirst();
        if (!row) continue; // completed or reclaimed since we looked
        await db
          .updateTable('attempts')
          .set({ status: 'interrupted', error_category: 'interrupted', error: v.reason, finished_at: now })
          .where('run_id', '=', runId)
          .where('task_id', '=', v.id)
          .where('number', '=', row.attempt_count)
          .where('status', '=', 'running')
          .execute();
        if (row.status === 'cancelled') await this.#blockDependents(db, runId, v.id, now);
        else if (opts.maxInterruptions !== undefined) await this.#failIfInterruptedTooOften(db, runId, v.id, opts.maxInterruptions, now);
        reclaimed.push(row.id);
      }
      return reclaimed;
    });
  }

  async requestCancel(runId: string, taskId: string | undefined, now: number): Promise<string[]> {
    return this.#write(async (db) => {
      const cancelNow = { status: 'cancelled', finished_at: now, error: 'cancelled', updated_at: now };
      if (taskId === undefined) {
        const run = await db.updateTable('runs').set({ cancel_requested: 1 }).where('id', '=', runId).returning('id').executeTakeFirst();
        if (!run) throw new NotFoundError(`run ${runId} not found`, { runId });
        // Every task not started is cancelled here, so no dependent is left to block.
        const rows = await db
          .updateTable('tasks')
          .set(cancelNow)
          .where('run_id', '=', runId)
          .where('status', 'in', OPEN)
          .returning('id')
          .execute();
        await db
          .updateTable('tasks')
          .set({ cancel_requested: 1, updated_at: now })
          .where('run_id', '=', runId)
          .where('status', '=', 'running')
          .execute();
        return rows.map((r) => r.id).sort();
      }
      const task = (q: Db) => q.updateTable('tasks').where('run_id', '=', runId).where('id', '=', taskId);
      const cancelled = await task(db).set(cancelNow).where('status', 'in', OPEN).returning('id').executeTakeFirst();
      if (cancelled) {
        await this.#blockDependents(db, runId, taskId, now);
        return [taskId];
      }
      const flagged = await task(db).set({ cancel_requested: 1, updated_at: now }).where('status', '=', 'running').returning('id').executeTakeFirst();
      if (!flagged && !(await db.selectFrom('tasks').select('id').where('run_id', '=', runId).where('id', '=', taskId).executeTakeFirst())) {
        throw new NotFoundError(`task ${taskId} not found in run ${runId}`, { runId, taskId });
      }
      return [];
    });
  }

  async appendEvents(events: NewEvent[]): Promise<void> {
    if (events.length === 0) return;
    const rows = events.map((e) => ({ run_id: e.runId, task_id: e.taskId, type: e.type, at: e.at, data: json(e.data) }));
    if (rows.length <= CHUNK) {
      await this.#writeOne((db) => db.insertInto('events').values(rows).execute());
      return;
    }
    await this.#write(async (db) => {
      for (const part of chunks(rows, CHUNK)) await db.insertInto('events').values(part).execute();
    });
  }

  async listEvents(opts: { runId?: string; afterId?: number; limit?: number }): Promise<EventRecord[]> {
    let q = this.#db.selectFrom('events').selectAll();
    if (opts.runId !== undefined) q = q.where('run_id', '=', opts.runId);
    if (opts.afterId !== undefined) q = q.where('id', '>', opts.afterId);
    const rows = await q.orderBy('id').limit(opts.limit ?? 1000).execute();
    return rows.map(toEvent);
  }

  async lastEventId(): Promise<number> {
    const row = await this.#db.selectFrom('events').select((eb) => eb.fn.max('id').as('max')).executeTakeFirst();
    return row?.max === null || row?.max === undefined ? 0 : Number(row.max);
  }

  async countTasks(runId?: string): Promise<Partial<Record<TaskStatus, number>>> {
    let q = this.#db.selectFrom('tasks').select((eb) => ['status', eb.fn.countAll().as('n')]).groupBy('status');
    if (runId !== undefined) q = q.where('run_id', '=', runId);
    const counts: Partial<Record<TaskStatus, number>> = {};
    for (const r of await q.execute()) counts[r.status as TaskStatus] = Number(r.n);
    return counts;
  }

  async usageTotals(runId?: string): Promise<UsageTotals> {
    let q = this.#db
      .selectFrom('attempts')
      .select((eb) => [
        eb.fn.count<number>('run_id').filterWhere((w) => w.or(USAGE_COLUMNS.map((c) => w(c, 'is not', null)))).as('attempts'),
        ...USAGE_NUMBERS.map((f) => eb.fn.sum<number>(USAGE_COLUMN_OF[f]).as(f)),
      ]);
    if (runId !== undefined) q = q.where('run_id', '=', runId);
    const row = await q.executeTakeFirst();
    const totals = emptyTotals();
    if (!row) return totals;
    totals.attempts = Number(row.attempts ?? 0);
    // SUM of bigint is numeric (text) on Postgres; SUM over no rows is null.
    for (const f of USAGE_NUMBERS) totals[f] = Number(row[f] ?? 0);
    totals.costUsd = Math.round(totals.costUsd * 1e6) / 1e6;
    return totals;
  }

  async updateTaskSpec(runId: string, taskId: string, spec: TaskSpec): Promise<TaskRecord> {
    return this.#write(async (db) => {
      const cur = await db.selectFrom('tasks').selectAll().where('run_id', '=', runId).where('id', '=', taskId).executeTakeFirst();
      if (!cur) throw new NotFoundError(`task ${taskId} not found in run ${runId}`, { runId, taskId });
      if (spec.id !== taskId) throw new InputError(`the id of task ${taskId} cannot change (got ${spec.id})`, { taskId, id: spec.id });
      const deps = JSON.parse(cur.depends_on) as string[];
      if (deps.length !== spec.dependsOn.length || deps.some((d, i) => d !== spec.dependsOn[i])) {
        throw new InputError(`the dependencies of task ${taskId} cannot change`, { taskId, dependsOn: deps });
      }
      if (!OPEN.includes(cur.status as TaskStatus)) {
        throw new ConflictError(`task ${taskId} of run ${runId} is ${cur.status}: only a task that has not started can be edited`, { runId, taskId, status: cur.status });
      }
      const now = Date.now();
      const row = await db
        .updateTable('tasks')
        .set({
          title: spec.title,
          type: spec.type,
          priority: spec.priority,
          priority_rank: PRIORITY_RANK[spec.priority],
          estimate_minutes: spec.estimateMinutes,
          agent: spec.agent ?? null,
          spec: JSON.stringify(spec),
          updated_at: now,
        })
        .where('run_id', '=', runId)
        .where('id', '=', taskId)
        .where('status', 'in', OPEN)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toTask(row);
    });
  }

  async appendAudit(entry: NewAudit): Promise<void> {
    await this.#writeOne((db) =>
      db
        .insertInto('audit_log')
        .values({ at: entry.at, actor: entry.actor, method: entry.method, path: entry.path, status: entry.status, body: entry.body })
        .execute(),
    );
  }

  async listAudit(opts: { beforeId?: number; limit?: number } = {}): Promise<AuditRecord[]> {
    let q = this.#db.selectFrom('audit_log').selectAll();
    if (opts.beforeId !== undefined) q = q.where('id', '<', opts.beforeId);
    const rows = await q.orderBy('id', 'desc').limit(opts.limit ?? 100).execute();
    return rows.map(toAudit);
  }

  async addMemory(entry: NewMemory): Promise<MemoryRecord> {
    const values = {
      run_id: entry.runId,
      task_id: entry.taskId,
      title: entry.title,
      summary: entry.summary,
      source: entry.source,
      created_at: entry.createdAt,
    };
    const row = await this.#writeOne((db) =>
      db
        .insertInto('memory')
        .values(values)
        .onConflict((oc) =>
          oc.columns(['run_id', 'task_id']).doUpdateSet({ title: values.title, summary: values.summary, source: values.source, created_at: values.created_at }),
        )
        .returningAll()
        .executeTakeFirstOrThrow(),
    );
    return toMemory(row);
  }

  async searchMemory(q: string, limit = 20): Promise<MemoryRecord[]> {
    let query = this.#db.selectFrom('memory').selectAll();
    const text = q.trim().toLowerCase();
    if (text) {
      // LIKE with an escape character, so `%` and `_` in the query match themselves.
      const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query = query.where((eb) =>
        eb.or([
          sql<boolean>`lower(${eb.ref('title')}) like ${pattern} escape '\\'`,
          sql<boolean>`lower(${eb.ref('summary')}) like ${pattern} escape '\\'`,
        ]),
      );
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(Math.max(1, Math.floor(limit))).execute();
    return rows.map(toMemory);
  }

  upsertPullRequest(pr: PullRequestInput): Promise<PullRequestRecord> {
    return this.#writeOne((db) => prs.upsertPullRequest(db, pr));
  }

  async updatePullRequest(runId: string, head: string, patch: PullRequestPatch): Promise<void> {
    const found = await this.#writeOne((db) => prs.updatePullRequest(db, runId, head, patch));
    if (!found) throw new NotFoundError(`run ${runId} has no pull request for branch ${head}`, { runId, head });
  }

  getPullRequest(runId: string, taskId: string): Promise<PullRequestRecord | undefined> {
    return prs.getForTask(this.#db, runId, taskId);
  }

  listPullRequests(filter?: PullRequestFilter): Promise<PullRequestRecord[]> {
    return prs.listPullRequests(this.#db, filter);
  }

  async findPullRequestByNumber(number: number, repo?: string | null): Promise<PullRequestRecord | undefined> {
    return (await prs.findByNumber(this.#db, number, repo))[0];
  }

  async findPullRequestByHead(head: string): Promise<PullRequestRecord | undefined> {
    return (await prs.findByHead(this.#db, head))[0];
  }

  recordPullRequestReaction(runId: string, head: string, key: string, kind: PrReactionKind | null, now: number): Promise<boolean> {
    return this.#writeOne((db) => prs.recordReaction(db, runId, head, key, kind, now));
  }

  pullRequestStats(runId?: string): Promise<PullRequestStats> {
    return prs.pullRequestStats(this.#db, runId);
  }

  deletePullRequestsBefore(cutoff: number): Promise<number> {
    return this.#writeOne((db) => prs.deleteFinishedBefore(db, cutoff));
  }

  async setMergeWait(runId: string, taskId: string, waiting: boolean, now: number): Promise<string[]> {
    return this.#write(async (db) => {
      const row = await db
        .updateTable('tasks')
        .set({ merge_wait: waiting ? 1 : 0, updated_at: now })
        .where('run_id', '=', runId)
        .where('id', '=', taskId)
        .returning(['status'])
        .executeTakeFirst();
      if (!row) throw new NotFoundError(`task ${taskId} not found in run ${runId}`, { runId, taskId });
      return !waiting && row.status === 'succeeded' ? this.#readyDependents(db, runId, taskId, now) : [];
    });
  }

  async listMergeWaits(runId: string): Promise<string[]> {
    const rows = await this.#db.selectFrom('tasks').select('id').where('run_id', '=', runId).where('merge_wait', '=', 1).orderBy('seq').execute();
    return rows.map((r) => r.id);
  }

  async reopenTask(runId: string, taskId: string, feedback: ReopenFeedback, now: number): Promise<AttemptRecord | undefined> {
    return this.#write(async (db) => {
      const row = await db
        .updateTable('tasks')
        .set((eb) => ({
          status: 'ready',
          attempt_count: eb('attempt_count', '+', 1),
          not_before: null,
          finished_at: null,
          error: feedback.message,
          lease_owner: null,
          lease_expires_at: null,
          updated_at: now,
        }))
        .where('run_id', '=', runId)
        .where('id', '=', taskId)
        .where('status', 'in', ['succeeded', 'failed'])
        .returningAll()
        .executeTakeFirst();
      if (!row) {
        if (!(await db.selectFrom('tasks').select('id').where('run_id', '=', runId).where('id', '=', taskId).executeTakeFirst())) {
          throw new NotFoundError(`task ${taskId} not found in run ${runId}`, { runId, taskId });
        }
        return undefined;
      }
      // The feedback lives in an attempt of its own, so the engine feeds it to the next attempt like any failure.
      const attempt: AttemptRow = {
        run_id: runId,
        task_id: taskId,
        number: row.attempt_count,
        status: 'failed',
        worker_id: 'weft-forge',
        token: row.lease_token,
        started_at: now,
        finished_at: now,
        error_category: feedback.category,
        error: feedback.message,
        output: feedback.output ?? null,
        result: json(feedback.result),
        verify_output: null,
        ...NO_USAGE,
        process: null,
      };
      await db.insertInto('attempts').values(attempt).execute();
      return toAttempt(attempt);
    });
  }

  async withdrawTask(runId: string, taskId: string, reason: string, now: number): Promise<string[]> {
    return this.#write(async (db) => {
      const cancelled = await db
        .updateTable('tasks')
        .set({ status: 'cancelled', error: reason, finished_at: now, merge_wait: 0, updated_at: now })
        .where('run_id', '=', runId)
        .where('id', '=', taskId)
        .where('status', 'in', ['pending', 'ready', 'succeeded'])
        .returning('id')
        .executeTakeFirst();
      if (cancelled) return this.#blockDependents(db, runId, taskId, now);
      const flagged = await db
        .updateTable('tasks')
        .set({ cancel_requested: 1, error: reason, updated_at: now })
        .where('run_id', '=', runId)
        .where('id', '=', taskId)
        .where('status', '=', 'running')
        .returning('id')
        .executeTakeFirst();
      if (!flagged && !(await db.selectFrom('tasks').select('id').where('run_id', '=', runId).where('id', '=', taskId).executeTakeFirst())) {
        throw new NotFoundError(`task ${taskId} not found in run ${runId}`, { runId, taskId });
      }
      return [];
    });
  }

  /** A task back in `ready` whose attempts were interrupted `max` times fails for good, blocking its dependents. */
  async #failIfInterruptedTooOften(db: Db, runId: string, taskId: string, max: number, now: number): Promise<void> {
    const counted = await db
      .selectFrom('attempts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('run_id', '=', runId)
      .where('task_id', '=', taskId)
      .where('status', '=', 'interrupted')
      .executeTakeFirst();
    const n = Number(counted?.n ?? 0);
    if (n < max) return;
    const failed = await db
      .updateTable('tasks')
      .set({ status: 'failed', finished_at: now, updated_at: now, error: `interrupted ${n} times (its worker crashed or lost its lease each time; maxInterruptions is ${max})` })
      .where('run_id', '=', runId)
      .where('id', '=', taskId)
      .where('status', '=', 'ready')
      .returning('id')
      .executeTakeFirst();
    if (failed) await this.#blockDependents(db, runId, taskId, now);
  }

  /** Readies the pending dependents of `taskId` whose dependencies are now all satisfied. */
  async #readyDependents(db: Db, runId: string, taskId: string, now: number, lock = true): Promise<string[]> {
    const dependents = (q: Kysely<Database>, p: Slots) =>
      q.selectFrom('task_deps').select('task_id').where('run_id', '=', p.runId).where('depends_on', '=', p.taskId);
    if (this.dialect === 'postgres' && lock) {
      // Two dependencies finishing at once must not both miss each other's commit: lock the shared
      // dependents (in id order, so lockers never deadlock), then check with a fresh snapshot.
      const lock = this.#query('lockDependents', (q, p) =>
        q.selectFrom('tasks').select('id').where('run_id', '=', p.runId).where('id', 'in', dependents(q, p)).orderBy('id').forUpdate(),
      );
      await lock.execute(db, { runId, taskId });
    }
    // The row-value IN and the scalar subqueries keep SQLite on primary-key probes; with `id IN` and a
    // join it prefers walking every pending task of the run through the claim index.
    const ready = this.#query('readyDependents', (q, p) =>
      q
        .updateTable('tasks')
        .set({ status: 'ready', updated_at: p.now })
        .where(({ eb, refTuple }) =>
          eb(
            refTuple('run_id', 'id'),
            'in',
            q.selectFrom('task_deps').select(['run_id', 'task_id']).where('run_id', '=', p.runId).where('depends_on', '=', p.taskId).$asTuple('run_id', 'task_id'),
          ),
        )
        .where('status', '=', 'pending')
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('task_deps as d')
                .select('d.depends_on')
                .where('d.run_id', '=', p.runId)
                .whereRef('d.task_id', '=', 'tasks.id')
                .where(
                  (eb) =>
                    eb
                      .selectFrom('tasks as t')
                      // A dependency whose pull request has to merge first does not count as done yet.
                      .select(sql<string>`case when t.merge_wait = 1 then 'merge_wait' else t.status end`.as('status'))
                      .whereRef('t.run_id', '=', 'd.run_id')
                      .whereRef('t.id', '=', 'd.depends_on'),
                  'not in',
                  SATISFYING_STATUSES,
                ),
            ),
          ),
        )
        .returning('id'),
    );
    const { rows } = await ready.execute(db, { runId, taskId, now });
    return rows.map((r) => r.id).sort();
  }

  /** Blocks every unfinished transitive dependent of `rootId`. */
  async #blockDependents(db: Db, runId: string, rootId: string, now: number): Promise<string[]> {
    const { rows } = await sql<{ id: string }>`
      with recursive dep(id) as (
        select d.task_id from task_deps d
          where d.run_id = ${runId} and d.depends_on = ${rootId}
            and (select t.status from tasks t where t.run_id = d.run_id and t.id = d.task_id) in ('pending', 'ready')
        union
        select d.task_id from dep
          join task_deps d on d.run_id = ${runId} and d.depends_on = dep.id
          where (select t.status from tasks t where t.run_id = d.run_id and t.id = d.task_id) in ('pending', 'ready')
      )
      select id from dep order by id`.execute(db);
    const blocked: string[] = [];
    for (const ids of chunks(rows.map((r) => r.id), CHUNK)) {
      if (this.dialect === 'postgres') {
        await db.selectFrom('tasks').select('id').where('run_id', '=', runId).where('id', 'in', ids).orderBy('id').forUpdate().execute();
      }
      const done = await db
        .updateTable('tasks')
        .set({ status: 'blocked', error: `blocked by ${rootId}`, finished_at: now, updated_at: now })
        .where('run_id', '=', runId)
        .where('id', 'in', ids)
        .where('status', 'in', OPEN)
        .returning('id')
        .execute();
      blocked.push(...done.map((r) => r.id));
    }
    return blocked.sort();
  }
}

function initialStatus(spec: TaskSpec, specStatus: Map<string, TaskSpec['status']>): TaskStatus {
  if (spec.status === 'done') return 'done';
  return spec.dependsOn.every((dep) => specStatus.get(dep) === 'done') ? 'ready' : 'pending';
}

type CompletionVariant = 'succeeded' | 'succeeded+result' | 'failed' | 'failed+result' | 'retry' | 'retry+result' | 'cancelled';

function completionVariant(outcome: AttemptOutcome): CompletionVariant {
  if (outcome.kind === 'cancelled') return 'cancelled';
  const base = outcome.kind === 'succeeded' ? 'succeeded' : outcome.retryAt === null ? 'failed' : 'retry';
  // An outcome without a result leaves one stored earlier (updateTask) alone.
  return outcome.result === undefined ? base : `${base}+result`;
}

/** The task columns a completion sets; retry-vs-cancel is decided in SQL from the row's cancel flag. */
function taskCompletion(variant: CompletionVariant, p: Slots) {
  const result = variant.endsWith('+result') ? { result: p.result } : {};
  switch (variant) {
    case 'succeeded':
    case 'succeeded+result':
      return { status: 'succeeded', finished_at: p.now, error: null, updated_at: p.now, ...result };
    case 'cancelled':
      return { status: 'cancelled', finished_at: p.now, error: p.message, updated_at: p.now };
    case 'failed':
    case 'failed+result':
      return { status: 'failed', finished_at: p.now, error: p.message, failed_attempts: sql<number>`failed_attempts + 1`, updated_at: p.now, ...result };
    case 'retry':
    case 'retry+result':
      // A retry of a task whose cancellation was requested would only be cancelled again: cancel it now.
      return {
        status: sql<string>`case when cancel_requested = 1 then 'cancelled' else 'ready' end`,
        finished_at: sql<number | null>`case when cancel_requested = 1 then cast(${p.now} as bigint) else null end`,
        not_before: p.retryAt,
        error: p.message,
        failed_attempts: sql<number>`failed_attempts + 1`,
        updated_at: p.now,
        ...result,
      };
  }
}

const USAGE_COLUMN_OF = {
  inputTokens: 'input_tokens',
  outputTokens: 'output_tokens',
  cachedInputTokens: 'cached_input_tokens',
  costUsd: 'cost_usd',
  turns: 'turns',
} as const satisfies Record<UsageNumber, UsageColumn>;

function attemptCompletion(outcome: AttemptOutcome) {
  const output = boundOutput(outcome.output);
  const usage = { ...usageColumns(outcome.usage), verify_output: outcome.kind === 'cancelled' ? null : boundOutput(outcome.verifyOutput) };
  switch (outcome.kind) {
    case 'succeeded':
      return { status: 'succeeded', category: null, error: null, output, result: json(outcome.result), ...usage };
    case 'failed':
      return { status: 'failed', category: outcome.category, error: storableText(outcome.message), output, result: json(outcome.result), ...usage };
    case 'cancelled':
      return { status: 'cancelled', category: 'cancelled', error: storableText(outcome.message), output, result: null, ...usage };
  }
}

/** Attempt columns that hold usage, by the AgentUsage field they store. */
const USAGE_FIELDS = {
  input_tokens: 'inputTokens',
  output_tokens: 'outputTokens',
  cached_input_tokens: 'cachedInputTokens',
  cost_usd: 'costUsd',
  turns: 'turns',
  model: 'model',
  session_id: 'sessionId',
} as const satisfies Record<string, keyof AgentUsage>;
type UsageColumn = keyof typeof USAGE_FIELDS;
const USAGE_COLUMNS = Object.keys(USAGE_FIELDS) as UsageColumn[];
const NO_USAGE = Object.fromEntries(USAGE_COLUMNS.map((c) => [c, null])) as Record<UsageColumn, null>;

/** An outcome's usage as attempt column values (null where the agent said nothing). */
function usageColumns(usage: AgentUsage | undefined): Record<UsageColumn, string | number | null> {
  const clean = cleanUsage(usage);
  const out: Record<UsageColumn, string | number | null> = { ...NO_USAGE };
  if (clean) for (const c of USAGE_COLUMNS) out[c] = clean[USAGE_FIELDS[c]] ?? null;
  // Token counts and turns are whole numbers in the database.
  for (const c of ['input_tokens', 'output_tokens', 'cached_input_tokens', 'turns'] as const) if (typeof out[c] === 'number') out[c] = Math.round(out[c]);
  return out;
}

/** The usage columns of a row as AgentUsage; null when all are empty. */
function rowUsage(r: AttemptRow): AgentUsage | null {
  const u: AgentUsage = {};
  for (const c of USAGE_COLUMNS) {
    const v = r[c];
    if (v === null || v === undefined) continue;
    const field = USAGE_FIELDS[c];
    if (field === 'model' || field === 'sessionId') u[field] = String(v);
    else u[field] = Number(v);
  }
  return Object.keys(u).length > 0 ? u : null;
}

/** Claimed rows in scheduling order (RETURNING gives no order): longest tail, then priority, then id. */
function sortClaims(rows: TaskRow[]): TaskRow[] {
  return rows.sort((a, b) => b.tail_minutes - a.tail_minutes || a.priority_rank - b.priority_rank || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

async function staleToken(db: Db, runId: string, taskId: string, token: number): Promise<Error> {
  const cur = await db
    .selectFrom('tasks')
    .select(['status', 'lease_token'])
    .where('run_id', '=', runId)
    .where('id', '=', taskId)
    .executeTakeFirst();
  if (!cur) return new NotFoundError(`task ${taskId} not found in run ${runId}`, { runId, taskId });
  return new ConflictError(
    `task ${taskId} of run ${runId}: token ${token} is not current (current ${cur.lease_token}, status ${cur.status}); result discarded`,
    { runId, taskId, token, currentToken: cur.lease_token, status: cur.status },
  );
}

function boundOutput(output: string | null | undefined): string | null {
  if (output === undefined || output === null) return null;
  return storableText(output.length > MAX_OUTPUT_CHARS ? output.slice(output.length - MAX_OUTPUT_CHARS) : output);
}

/** Agent text as a text column takes it: Postgres refuses NUL bytes (one would fail the whole group commit). */
function storableText(text: string): string {
  return text.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text;
}

function json(value: Json | undefined): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

function parseJson(text: string | null): Json {
  return text === null ? null : (JSON.parse(text) as Json);
}

function* chunks<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

type Cursor = [runCreatedAt: number, runId: string, taskId: string];

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(text: string): Cursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 3 && typeof value[0] === 'number' && typeof value[1] === 'string' && typeof value[2] === 'string') {
      return [value[0], value[1], value[2]];
    }
  } catch {
    // fall through to the error below
  }
  throw new InputError(`invalid cursor: ${text}`, { cursor: text });
}

function toPlan(r: PlanRow): SavedPlan {
  return { id: r.id, title: r.title, source: r.source, createdAt: r.created_at, plan: JSON.parse(r.plan) as Json };
}

function toRun(r: RunRow): RunRecord {
  return {
    id: r.id,
    planId: r.plan_id,
    title: r.title,
    status: r.status as RunStatus,
    agent: r.agent,
    concurrency: r.concurrency,
    maxAttempts: r.max_attempts,
    repo: r.repo,
    baseBranch: r.base_branch,
    branch: r.branch,
    options: JSON.parse(r.options) as RunRecord['options'],
    error: r.error,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    cancelRequested: r.cancel_requested !== 0,
    reason: (r.reason ?? null) as RunReason | null,
    pauses: r.pauses ? (JSON.parse(r.pauses) as BackendPause[]) : [],
  };
}

function toTask(r: TaskRow): TaskRecord {
  return {
    runId: r.run_id,
    id: r.id,
    title: r.title,
    type: r.type as TaskType,
    priority: r.priority as Priority,
    status: r.status as TaskStatus,
    dependsOn: JSON.parse(r.depends_on) as string[],
    tailMinutes: r.tail_minutes,
    phase: r.phase,
    estimateMinutes: r.estimate_minutes,
    spec: JSON.parse(r.spec) as TaskSpec,
    agent: r.agent,
    branch: r.branch,
    prUrl: r.pr_url,
    error: r.error,
    failedAttempts: r.failed_attempts,
    attemptCount: r.attempt_count,
    lease: r.lease_owner === null ? null : { owner: r.lease_owner, token: r.lease_token, expiresAt: r.lease_expires_at ?? 0 },
    notBefore: r.not_before,
    cancelRequested: r.cancel_requested !== 0,
    result: parseJson(r.result),
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    updatedAt: r.updated_at,
  };
}

function toAttempt(r: AttemptRow): AttemptRecord {
  return {
    runId: r.run_id,
    taskId: r.task_id,
    number: r.number,
    status: r.status as AttemptStatus,
    workerId: r.worker_id,
    token: r.token,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    errorCategory: r.error_category as ErrorCategory | null,
    error: r.error,
    output: r.output,
    result: parseJson(r.result),
    usage: rowUsage(r),
    process: parseProcess(r.process),
    verifyOutput: r.verify_output ?? null,
  };
}

function parseProcess(text: string | null | undefined): AttemptProcess | null {
  if (!text) return null;
  const p = parseJson(text) as { pid?: unknown; host?: unknown } | null;
  return p && typeof p.pid === 'number' && typeof p.host === 'string' ? { pid: p.pid, host: p.host } : null;
}

function toAudit(r: AuditRow): AuditRecord {
  return { id: Number(r.id), at: Number(r.at), actor: r.actor, method: r.method, path: r.path, status: r.status, body: r.body };
}

function toMemory(r: MemoryRow): MemoryRecord {
  return { id: Number(r.id), runId: r.run_id, taskId: r.task_id, title: r.title, summary: r.summary, source: r.source, createdAt: Number(r.created_at) };
}

function toEvent(r: EventRow): EventRecord {
  return { id: r.id, runId: r.run_id, taskId: r.task_id, type: r.type, at: r.at, data: parseJson(r.data) };
}
