/** WorkflowStore over Kysely (SQLite and Postgres), sharing KyselyStore's connection and write lock. */
import { sql } from 'kysely';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { StepKind } from '../workflow/definition.js';
import type { ErrorCategory, Json } from './records.js';
import type { Database } from './schema.js';
import type { WorkflowRunsTable, WorkflowStepsTable, WorkflowsTable } from './workflow-schema.js';
import type {
  DeliveryRecord,
  NewStep,
  NewWorkflowRun,
  StepClaim,
  StepEnd,
  StepFilter,
  StepRecord,
  StepStatus,
  WorkflowRecord,
  WorkflowRunRecord,
  WorkflowRunStatus,
} from './workflow-records.js';
import type { WorkflowRunPatch, WorkflowStore } from './workflow-store.js';

type Db = Kysely<Database> | Transaction<Database>;
type Write = <T>(fn: (db: Db) => Promise<T>) => Promise<T>;

const OPEN_STEP: StepStatus[] = ['pending', 'running', 'waiting'];
const LEAVES: StepKind[] = ['run', 'task', 'http', 'wait', 'plan'];

const parse = (text: string | null): Json => (text === null ? null : (JSON.parse(text) as Json));
const obj = (text: string): { [key: string]: Json } => JSON.parse(text) as { [key: string]: Json };

function toWorkflow(r: Selectable<WorkflowsTable>): WorkflowRecord {
  return { id: r.id, name: r.name, description: r.description, source: r.source, file: r.file, definition: parse(r.definition), createdAt: r.created_at, updatedAt: r.updated_at };
}

function toRun(r: Selectable<WorkflowRunsTable>): WorkflowRunRecord {
  return {
    id: r.id,
    workflowId: r.workflow_id,
    name: r.name,
    status: r.status as WorkflowRunStatus,
    inputs: obj(r.inputs),
    definition: parse(r.definition),
    trigger: parse(r.trigger),
    repo: r.repo,
    error: r.error,
    cancelRequested: r.cancel_requested === 1,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

function toStep(r: Selectable<WorkflowStepsTable>): StepRecord {
  return {
    runId: r.run_id,
    key: r.key,
    stepId: r.step_id,
    parentKey: r.parent_key,
    kind: r.kind as StepKind,
    status: r.status as StepStatus,
    seq: r.seq,
    attempts: r.attempts,
    failedAttempts: r.failed_attempts,
    lease: r.lease_owner && r.lease_expires_at !== null ? { owner: r.lease_owner, token: r.lease_token, expiresAt: r.lease_expires_at } : null,
    notBefore: r.not_before,
    state: obj(r.state),
    output: parse(r.output),
    error: r.error,
    errorCategory: r.error_category as ErrorCategory | null,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    updatedAt: r.updated_at,
  };
}

/** The workflow queries; `write` runs a transaction, `writeOne` a single statement under the store's write lock. */
export class KyselyWorkflowStore implements WorkflowStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: 'sqlite' | 'postgres',
    private readonly write: Write,
    private readonly writeOne: Write,
  ) {}

  async saveWorkflow(w: Omit<WorkflowRecord, 'createdAt' | 'updatedAt'>, now: number): Promise<WorkflowRecord> {
    const values = { name: w.name, description: w.description, source: w.source, file: w.file, definition: JSON.stringify(w.definition), updated_at: now };
    await this.writeOne((db) =>
      db.insertInto('workflows').values({ id: w.id, ...values, created_at: now }).onConflict((oc) => oc.column('id').doUpdateSet(values)).execute(),
    );
    return (await this.getWorkflow(w.id))!;
  }

  async getWorkflow(id: string): Promise<WorkflowRecord | undefined> {
    const r = await this.db.selectFrom('workflows').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toWorkflow(r);
  }

  async listWorkflows(): Promise<WorkflowRecord[]> {
    return (await this.db.selectFrom('workflows').selectAll().orderBy('id').execute()).map(toWorkflow);
  }

  async createWorkflowRun(run: NewWorkflowRun): Promise<WorkflowRunRecord> {
    await this.writeOne((db) =>
      db
        .insertInto('workflow_runs')
        .values({
          id: run.id,
          workflow_id: run.workflowId,
          name: run.name,
          status: 'pending',
          inputs: JSON.stringify(run.inputs),
          definition: JSON.stringify(run.definition),
          trigger: JSON.stringify(run.trigger),
          repo: run.repo,
          error: null,
          cancel_requested: 0,
          created_at: run.createdAt,
          started_at: null,
          finished_at: null,
        })
        .execute(),
    );
    return (await this.getWorkflowRun(run.id))!;
  }

  async getWorkflowRun(id: string): Promise<WorkflowRunRecord | undefined> {
    const r = await this.db.selectFrom('workflow_runs').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toRun(r);
  }

  async listWorkflowRuns(opts: { workflowId?: string; status?: WorkflowRunStatus; limit?: number } = {}): Promise<WorkflowRunRecord[]> {
    let q = this.db.selectFrom('workflow_runs').selectAll();
    if (opts.workflowId) q = q.where('workflow_id', '=', opts.workflowId);
    if (opts.status) q = q.where('status', '=', opts.status);
    return (await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit ?? 100).execute()).map(toRun);
  }

  async updateWorkflowRun(id: string, patch: WorkflowRunPatch): Promise<void> {
    const set: Partial<WorkflowRunsTable> = {};
    if (patch.status !== undefined) set.status = patch.status;
    if (patch.startedAt !== undefined) set.started_at = patch.startedAt;
    if (patch.finishedAt !== undefined) set.finished_at = patch.finishedAt;
    if (patch.error !== undefined) set.error = patch.error;
    if (Object.keys(set).length === 0) return;
    await this.writeOne((db) => db.updateTable('workflow_runs').set(set).where('id', '=', id).execute());
  }

  async requestWorkflowCancel(id: string): Promise<boolean> {
    const res = await this.writeOne((db) =>
      db.updateTable('workflow_runs').set({ cancel_requested: 1 }).where('id', '=', id).where('status', 'in', ['pending', 'running']).executeTakeFirst(),
    );
    return Number(res.numUpdatedRows) > 0;
  }

  async listSteps(runId: string): Promise<StepRecord[]> {
    return (await this.db.selectFrom('workflow_steps').selectAll().where('run_id', '=', runId).orderBy('seq').execute()).map(toStep);
  }

  async getStep(runId: string, key: string): Promise<StepRecord | undefined> {
    const r = await this.db.selectFrom('workflow_steps').selectAll().where('run_id', '=', runId).where('key', '=', key).executeTakeFirst();
    return r && toStep(r);
  }

  async findSteps(filter: StepFilter): Promise<StepRecord[]> {
    let q = this.db.selectFrom('workflow_steps').innerJoin('workflow_runs', 'workflow_runs.id', 'workflow_steps.run_id').selectAll('workflow_steps');
    if (filter.runId) q = q.where('workflow_steps.run_id', '=', filter.runId);
    if (filter.kind) q = q.where('workflow_steps.kind', '=', filter.kind);
    if (filter.status) q = q.where('workflow_steps.status', '=', filter.status);
    const rows = await q.orderBy('workflow_runs.created_at', 'desc').orderBy('workflow_steps.run_id', 'desc').orderBy('workflow_steps.seq').limit(filter.limit ?? 200).execute();
    return rows.map(toStep);
  }

  insertSteps(runId: string, steps: NewStep[], now: number): Promise<string[]> {
    if (steps.length === 0) return Promise.resolve([]);
    return this.write(async (db) => {
      // Postgres: writers of one run take turns here, so creation order (seq) has no duplicates.
      if (this.dialect === 'postgres') await db.selectFrom('workflow_runs').select('id').where('id', '=', runId).forUpdate().execute();
      const max = await db.selectFrom('workflow_steps').select(sql<number>`coalesce(max(seq), 0)`.as('m')).where('run_id', '=', runId).executeTakeFirstOrThrow();
      let seq = Number(max.m);
      const created: string[] = [];
      for (const s of steps) {
        const terminal = s.status === 'succeeded' || s.status === 'failed' || s.status === 'skipped' || s.status === 'cancelled';
        const res = await db
          .insertInto('workflow_steps')
          .values({
            run_id: runId,
            key: s.key,
            step_id: s.stepId,
            parent_key: s.parentKey,
            kind: s.kind,
            status: s.status,
            seq: ++seq,
            attempts: 0,
            failed_attempts: 0,
            lease_owner: null,
            lease_token: 0,
            lease_expires_at: null,
            not_before: s.notBefore,
            state: JSON.stringify(s.state),
            output: s.output === undefined ? null : JSON.stringify(s.output),
            error: s.error ?? null,
            error_category: null,
            created_at: now,
            started_at: s.status === 'running' || s.status === 'waiting' ? now : null,
            finished_at: terminal ? now : null,
            updated_at: now,
          })
          .onConflict((oc) => oc.columns(['run_id', 'key']).doNothing())
          .executeTakeFirst();
        if (Number(res.numInsertedOrUpdatedRows ?? 0n) > 0) created.push(s.key);
        else seq--;
      }
      return created;
    });
  }

  async finishStep(runId: string, key: string, end: StepEnd, now: number, token?: number): Promise<boolean> {
    const res = await this.writeOne((db) => {
      let q = db
        .updateTable('workflow_steps')
        .set({
          status: end.status,
          output: end.output === undefined ? null : JSON.stringify(end.output),
          error: end.error ?? null,
          error_category: end.category ?? null,
          finished_at: now,
          updated_at: now,
          lease_owner: null,
          lease_expires_at: null,
        })
        .where('run_id', '=', runId)
        .where('key', '=', key)
        .where('status', 'in', OPEN_STEP);
      q = token === undefined ? q.where('lease_owner', 'is', null) : q.where('status', '=', 'running').where('lease_token', '=', token);
      return q.executeTakeFirst();
    });
    return Number(res.numUpdatedRows) > 0;
  }

  claimStep(runId: string, workerId: string, leaseMs: number, now: number): Promise<StepClaim | undefined> {
    return this.write(async (db) => {
      const candidate = await db
        .selectFrom('workflow_steps')
        .select(['key', 'lease_token'])
        .where('run_id', '=', runId)
        .where('status', '=', 'pending')
        .where('kind', 'in', LEAVES)
        .where((eb) => eb.or([eb('not_before', 'is', null), eb('not_before', '<=', now)]))
        .orderBy('seq')
        .limit(1)
        .executeTakeFirst();
      if (!candidate) return undefined;
      const token = Number(candidate.lease_token) + 1;
      const res = await db
        .updateTable('workflow_steps')
        .set((eb) => ({
          status: 'running',
          lease_owner: workerId,
          lease_token: token,
          lease_expires_at: now + leaseMs,
          attempts: eb('attempts', '+', 1),
          started_at: eb.fn.coalesce('started_at', sql<number>`${now}`),
          updated_at: now,
        }))
        .where('run_id', '=', runId)
        .where('key', '=', candidate.key)
        .where('status', '=', 'pending')
        .where('lease_token', '=', candidate.lease_token)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) return undefined;
      const row = await db.selectFrom('workflow_steps').selectAll().where('run_id', '=', runId).where('key', '=', candidate.key).executeTakeFirstOrThrow();
      return { step: toStep(row), token };
    });
  }

  async heartbeatStep(runId: string, key: string, token: number, leaseMs: number, now: number): Promise<{ ok: boolean; cancelRequested: boolean }> {
    const res = await this.writeOne((db) =>
      db
        .updateTable('workflow_steps')
        .set({ lease_expires_at: now + leaseMs, updated_at: now })
        .where('run_id', '=', runId)
        .where('key', '=', key)
        .where('status', '=', 'running')
        .where('lease_token', '=', token)
        .executeTakeFirst(),
    );
    const run = await this.db.selectFrom('workflow_runs').select('cancel_requested').where('id', '=', runId).executeTakeFirst();
    return { ok: Number(res.numUpdatedRows) > 0, cancelRequested: run?.cancel_requested === 1 };
  }

  async releaseStep(runId: string, key: string, token: number, opts: { notBefore: number | null; failed?: { error: string; category: string } }, now: number): Promise<boolean> {
    const res = await this.writeOne((db) =>
      db
        .updateTable('workflow_steps')
        .set((eb) => ({
          status: 'pending',
          lease_owner: null,
          lease_expires_at: null,
          not_before: opts.notBefore,
          updated_at: now,
          ...(opts.failed ? { failed_attempts: eb('failed_attempts', '+', 1), error: opts.failed.error, error_category: opts.failed.category } : { attempts: eb('attempts', '-', 1) }),
        }))
        .where('run_id', '=', runId)
        .where('key', '=', key)
        .where('status', '=', 'running')
        .where('lease_token', '=', token)
        .executeTakeFirst(),
    );
    return Number(res.numUpdatedRows) > 0;
  }

  setStepState(runId: string, key: string, token: number, state: { [key: string]: Json }, now: number): Promise<boolean> {
    return this.write(async (db) => {
      const row = await db.selectFrom('workflow_steps').select(['state', 'lease_token', 'status']).where('run_id', '=', runId).where('key', '=', key).executeTakeFirst();
      if (!row || row.status !== 'running' || Number(row.lease_token) !== token) return false;
      await db.updateTable('workflow_steps').set({ state: JSON.stringify({ ...obj(row.state), ...state }), updated_at: now }).where('run_id', '=', runId).where('key', '=', key).execute();
      return true;
    });
  }

  reclaimSteps(runId: string, now: number, isOwnerGone?: (owner: string) => boolean): Promise<string[]> {
    return this.write(async (db) => {
      const running = await db.selectFrom('workflow_steps').select(['key', 'lease_owner', 'lease_expires_at']).where('run_id', '=', runId).where('status', '=', 'running').where('kind', 'in', LEAVES).execute();
      const keys = running.filter((r) => (r.lease_expires_at ?? 0) < now || (r.lease_owner !== null && isOwnerGone?.(r.lease_owner))).map((r) => r.key);
      for (const key of keys) {
        await db
          .updateTable('workflow_steps')
          .set({ status: 'pending', lease_owner: null, lease_expires_at: null, updated_at: now })
          .where('run_id', '=', runId)
          .where('key', '=', key)
          .where('status', '=', 'running')
          .execute();
      }
      return keys;
    });
  }

  async listWaitingSteps(): Promise<StepRecord[]> {
    const rows = await this.db
      .selectFrom('workflow_steps')
      .innerJoin('workflow_runs', 'workflow_runs.id', 'workflow_steps.run_id')
      .selectAll('workflow_steps')
      .where('workflow_steps.status', '=', 'waiting')
      .where('workflow_runs.status', 'in', ['pending', 'running'])
      .orderBy('workflow_steps.run_id')
      .orderBy('workflow_steps.seq')
      .execute();
    return rows.map(toStep);
  }

  async recordDelivery(id: string, event: string, now: number): Promise<boolean> {
    const res = await this.writeOne((db) =>
      db.insertInto('webhook_deliveries').values({ id, event, received_at: now, run_ids: '[]' }).onConflict((oc) => oc.column('id').doNothing()).executeTakeFirst(),
    );
    return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async setDeliveryRuns(id: string, runIds: string[]): Promise<void> {
    await this.writeOne((db) => db.updateTable('webhook_deliveries').set({ run_ids: JSON.stringify(runIds) }).where('id', '=', id).execute());
  }

  async getDelivery(id: string): Promise<DeliveryRecord | undefined> {
    const r = await this.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
    return r && { id: r.id, event: r.event, receivedAt: r.received_at, runIds: JSON.parse(r.run_ids) as string[] };
  }

  async claimTick(workflowId: string, tickAt: number, now: number): Promise<boolean> {
    const res = await this.writeOne((db) =>
      db.insertInto('schedule_ticks').values({ workflow_id: workflowId, tick_at: tickAt, run_id: null, claimed_at: now }).onConflict((oc) => oc.columns(['workflow_id', 'tick_at']).doNothing()).executeTakeFirst(),
    );
    return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async setTickRun(workflowId: string, tickAt: number, runId: string): Promise<void> {
    await this.writeOne((db) => db.updateTable('schedule_ticks').set({ run_id: runId }).where('workflow_id', '=', workflowId).where('tick_at', '=', tickAt).execute());
  }
}
