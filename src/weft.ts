/**
 * The one place where weft's parts are wired together: config, store, agent backends, git workspace,
 * prompts, events, logs. The CLI and the server both go through `openWeft`.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import pino from 'pino';
import type { AgentBackend } from './agents/agent-backend.js';
import { createAgentBackend, routeAgent } from './agents/create-agent.js';
import { loadConfig } from './config/load-config.js';
import type { SandboxMode, WeftConfig } from './config/config-schema.js';
import { checkBwrap } from './agents/sandbox.js';
import { BaselineError, InputError } from './core/errors.js';
import { verifyCommands } from './core/task-verify.js';
import type { VerifyBaseline } from './core/verify-baseline.js';
import { createRedactor, isSecretName, secretValues, urlPassword, type Redactor } from './core/redact.js';
import type { Plan, TaskSpec } from './core/task.js';
import { Engine, type AttemptFeedback, type RunOutcome } from './engine/engine.js';
import { attemptPromptPath, MAX_PROMPT_FILE } from './engine/attempt-files.js';
import { recordEvents } from './engine/event-recorder.js';
import { TaskLog } from './engine/task-log.js';
import { EngineEvents } from './engine/events.js';
import { readRunSettings, writeRunSettings } from './engine/run-settings.js';
import { createSimulateAgent, simulateSettingsFromEnv } from './engine/simulate-agent.js';
import { newWorkerId } from './engine/worker-id.js';
import { analyzePlan } from './plan/analyze-plan.js';
import { buildPrompt, createTemplateLoader, fence, type TaskMemory } from './prompt/index.js';
import { codeContextSettings, createCodeContext, createGitSourceTree, wantsCodeContext, type RepoContext } from './context/index.js';
import type { RunRecord } from './store/records.js';
import { openStore, resolveDbSpec } from './store/open-store.js';
import type { ResilienceOptions } from './store/resilient-store.js';
import type { Store } from './store/store.js';
import { GitWorkspace } from './vcs/git-workspace.js';
import { openPrIntegration } from './forge/pr-integration.js';
import { assertChecks, runPreflight } from './app/preflight.js';
import { writeRunPrOptions } from './forge/pr-settings.js';
import type { Workspace } from './vcs/workspace.js';
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { buildPlan } from './plan/build-plan.js';
import { TASK_TYPES, type TaskType } from './core/task.js';
import { TaskHandlers, type TaskHandler } from './workflow/handlers.js';
import type { RunSummary, WorkflowRuns } from './workflow/run-service.js';
import { Workflows } from './workflow/workflows.js';

export interface OpenWeftOptions {
  /** `--db` flag; falls back to WEFT_DB, the config's `db`, then `.weft/weft.db`. */
  db?: string;
  cwd?: string;
  configPath?: string;
  /** A command that only reads: a missing SQLite file is an error instead of being created. */
  readOnly?: boolean;
  /** Told when Postgres calls start waiting out an outage and when they get through again. */
  onDatabaseOutage?: ResilienceOptions['onOutage'];
}

export interface StartRunOptions {
  agent?: string;
  concurrency?: number;
  maxAttempts?: number;
  repo?: string | null;
  baseBranch?: string | null;
  verify?: string | null;
  timeoutMinutes?: number;
  merge?: boolean;
  /** Cost budget in US dollars (`--max-cost`); default config `budget.maxCostUsd`. */
  maxCostUsd?: number | null;
  /** `--sandbox`: containment of every command agent of this run (overrides config `sandbox` and `agents.NAME.sandbox`). */
  sandbox?: SandboxMode;
  planId?: string | null;
  /** Run even when the verify command already fails on the base branch; attempts are then judged by new failures only. */
  allowFailingBaseline?: boolean;
  /** Progress lines while checking (the baseline verify can take a while). */
  onProgress?: (message: string) => void;
  /** Pull requests (`--pr`, `--remote`, `--github-repo`); config `pr.enabled` turns them on too. */
  pr?: { enabled?: boolean; remote?: string | null; githubRepo?: string | null };
}

export interface ExecuteOptions {
  events?: EngineEvents;
  resumed?: boolean;
  /** Lets a caller stop the engine (SIGINT); leases are then reclaimed on resume. */
  onEngine?: (engine: Engine) => void;
  /** Heartbeat interval (cancellation reaches a running attempt within about this long). */
  heartbeatMs?: number;
  leaseMs?: number;
  /** A new cost budget for the run (`weft resume --max-cost`), stored with it. */
  maxCostUsd?: number | null;
}

/** A budget as given (`--max-cost`, API), checked: a number of dollars >= 0, or null for none. */
function checkBudget(usd: number | null): number | null {
  if (usd === null) return null;
  if (!Number.isFinite(usd) || usd < 0) throw new InputError(`--max-cost must be a number of US dollars >= 0, got ${usd}`, { maxCostUsd: usd });
  return usd;
}

/** A new sortable run id: time in base 36 plus randomness. */
export function newRunId(): string {
  return `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** An open weft instance: config plus store plus the ability to start and execute runs. */
export class Weft {
  readonly #agentFactory: AgentFactory;
  /** Replaces every secret weft knows (and common token shapes) in text that leaves weft: logs, store, prompts, API, CLI. */
  readonly redact: Redactor;
  readonly #handlers: TaskHandlers;
  #workflows: Workflows | undefined;
  /** Events of workflow runs executed through `workflows` (runs they start get their own per execution). */
  readonly workflowEvents = new EngineEvents();
  constructor(
    readonly config: WeftConfig,
    readonly store: Store,
    readonly cwd: string,
    agentFactory: AgentFactory = defaultAgentFactory,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.#agentFactory = agentFactory;
    this.redact = createRedactor(configSecrets(config, env));
    this.#handlers = new TaskHandlers(config.handlers);
  }

  /** Registers the handler that runs tasks of `type` (workflow `task` steps, `weft task create`). */
  registerTaskHandler(type: string, handler: TaskHandler): void {
    this.#handlers.register(type, handler);
  }

  /** Task types that have a handler. */
  handlerTypes(): string[] {
    return this.#handlers.types();
  }

  /** Workflow use cases (seed 004): definitions, runs, approvals, events. */
  get workflows(): Workflows {
    this.#workflows ??= new Workflows({
      store: this.store,
      events: this.workflowEvents,
      runs: this.#workflowRuns(),
      handlers: this.#handlers,
      cwd: this.cwd,
      retry: this.config.retry,
      maxAttempts: this.config.maxAttempts,
      concurrency: this.config.workflows.concurrency,
      worktreesDir: this.config.git.worktreesDir,
    });
    return this.#workflows;
  }

  /** The run pipeline as `plan` and agent `task` steps use it. */
  #workflowRuns(): WorkflowRuns {
    return {
      createPlanRun: async (req) => {
        let text = req.text;
        let file = 'workflow-plan.md';
        if (req.file) {
          file = isAbsolute(req.file) ? req.file : resolvePath(req.cwd, req.file);
          try {
            text = await readFile(file, 'utf8');
          } catch {
            throw new InputError(`plan step: cannot read ${file}`);
          }
        }
        const plan = buildPlan({ requirements: { text: text ?? '', file }, defaultEstimateMinutes: this.config.defaultEstimateMinutes });
        const run = await this.createRun(plan, {
          ...(req.agent ? { agent: req.agent } : {}),
          ...(req.concurrency ? { concurrency: req.concurrency } : {}),
          ...(req.maxAttempts ? { maxAttempts: req.maxAttempts } : {}),
          ...(req.verify ? { verify: req.verify } : {}),
          ...(req.merge !== undefined ? { merge: req.merge } : {}),
          ...(req.pr !== undefined ? { pr: { enabled: req.pr } } : {}),
          repo: req.repo,
        });
        return run.id;
      },
      createTaskRun: async (req) => {
        const type: TaskType = (TASK_TYPES as readonly string[]).includes(req.type) ? (req.type as TaskType) : req.type === 'testing' ? 'test' : req.type === 'documentation' ? 'docs' : 'feature';
        const spec: TaskSpec = {
          id: 'task',
          title: req.title,
          description: req.prompt,
          type,
          typeReason: `workflow task type ${req.type}`,
          priority: 'medium',
          status: 'pending',
          dependsOn: [],
          estimateMinutes: this.config.defaultEstimateMinutes,
          files: [],
          acceptanceCriteria: [],
          requirementId: 'task',
          requirementTitle: req.title,
          ...(req.agent ? { agent: req.agent } : {}),
          source: { file: 'workflow', line: 1 },
        };
        const plan = analyzePlan({ title: req.title, context: '', tasks: [spec], source: 'workflow' });
        const run = await this.createRun(plan, { ...(req.agent ? { agent: req.agent } : {}), repo: req.repo });
        return run.id;
      },
      executeRun: async (runId, opts) => {
        let engine: Engine | undefined;
        const onAbort = () => {
          if (opts.signal.reason === 'cancelled') void this.store.requestCancel(runId, undefined, Date.now());
          else engine?.stop();
        };
        opts.signal.addEventListener('abort', onAbort, { once: true });
        try {
          const outcome = await this.executeRun(runId, { resumed: opts.resumed, onEngine: (e) => (engine = e) });
          const tasks = await this.store.listTasks(runId);
          const summary: RunSummary = {
            runId,
            status: outcome.run.status,
            branch: outcome.run.branch,
            counts: outcome.counts,
            tasks: tasks.map((t) => ({ id: t.id, status: t.status, branch: t.branch, prUrl: t.prUrl, summary: ((t.result as { summary?: string } | null)?.summary ?? null) as string | null })),
          };
          return summary;
        } finally {
          opts.signal.removeEventListener('abort', onAbort);
        }
      },
    };
  }

  /** `.weft/` in the working directory: logs and worktrees live here. */
  get dataDir(): string {
    return join(this.cwd, '.weft');
  }

  /** Stores a new run of a plan (nothing executes yet). */
  async createRun(plan: Plan, options: StartRunOptions = {}): Promise<RunRecord> {
    const agent = options.agent ?? this.config.agent ?? 'simulate';
    const concurrency = options.concurrency ?? this.config.concurrency;
    const maxAttempts = options.maxAttempts ?? this.config.maxAttempts;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new InputError(`--concurrency must be a whole number >= 1, got ${concurrency}`);
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new InputError(`--max-attempts must be a whole number >= 1, got ${maxAttempts}`);
    // Every check before anything is stored (src/app/preflight.ts, shared with `weft doctor`).
    const specs = [agent, ...plan.tasks.flatMap((t) => (t.agent ? [t.agent] : [])), ...this.config.routing.map((r) => r.agent)];
    const backends = [...new Set(specs)].map((spec) => this.#agentFactory(spec, this.config));
    const needsRepo = backends.some((b) => b.needsWorktree);
    const wantsBwrap = options.sandbox === 'bwrap' || (options.sandbox === undefined && (this.config.sandbox === 'bwrap' || Object.values(this.config.agents).some((a) => a.sandbox === 'bwrap')));
    if (wantsBwrap && needsRepo) {
      await checkBwrap().catch((err: unknown) => {
        throw new InputError((err as Error).message);
      });
    }
    const pr = { enabled: options.pr?.enabled ?? false, remote: options.pr?.remote ?? null, githubRepo: options.pr?.githubRepo ?? null };
    const verify = options.verify ?? this.config.verify ?? null;
    const baseBranch = options.baseBranch ?? this.config.git.baseBranch ?? null;
    const preflight = await runPreflight({
      config: this.config,
      cwd: this.cwd,
      agent,
      tasks: plan.tasks,
      repo: needsRepo ? (options.repo ?? this.cwd) : null,
      baseBranch,
      verify: needsRepo ? verify : null,
      pr,
      // A caller's own agent factory (tests, library users) vouches for its backends.
      checkAgents: this.#agentFactory === defaultAgentFactory,
    });
    assertChecks(preflight.checks);
    const repo = needsRepo ? preflight.repoRoot : (options.repo ?? null);
    const timeoutMs = (options.timeoutMinutes ?? this.config.timeoutMinutes) * 60_000;
    const baselines = repo && preflight.baseBranch ? await this.#baselines(repo, preflight.baseBranch, verifyCommands(verify, plan.tasks.filter((t) => t.status !== 'done')), timeoutMs, options) : {};
    const id = newRunId();
    const settings = {
      context: plan.context,
      source: plan.source,
      verify,
      timeoutMs,
      merge: options.merge ?? false,
      maxCostUsd: checkBudget(options.maxCostUsd !== undefined ? options.maxCostUsd : (this.config.budget.maxCostUsd ?? null)),
      sandbox: options.sandbox ?? null,
      baselines,
    };
    return this.store.createRun(
      {
        id,
        planId: options.planId ?? null,
        title: plan.title,
        agent,
        concurrency,
        maxAttempts,
        repo,
        baseBranch,
        options: { ...writeRunSettings(settings), pr: writeRunPrOptions(pr) },
        createdAt: Date.now(),
      },
      plan.tasks.map((t) => ({ spec: stripAnalysis(t), tailMinutes: t.tailMinutes, phase: t.phase })),
    );
  }

  /**
   * Runs each verify command once on the base branch, before anything is stored. A failing one refuses the
   * run (BaselineError, with its output) unless `allowFailingBaseline`; then it is kept to judge attempts by.
   */
  async #baselines(repo: string, base: string, commands: string[], timeoutMs: number, options: StartRunOptions): Promise<Record<string, VerifyBaseline>> {
    const out: Record<string, VerifyBaseline> = {};
    if (commands.length === 0) return out;
    const ws = await GitWorkspace.open({ repo, branchPrefix: this.config.git.branchPrefix, worktreesDir: this.config.git.worktreesDir });
    for (const command of commands) {
      options.onProgress?.(`checking the baseline: ${command} on ${base}`);
      const v = await ws.verifyAt(base, command, AbortSignal.timeout(timeoutMs));
      if (v.passed) continue;
      if (!options.allowFailingBaseline) throw new BaselineError(command, base, v.message ?? 'verify failed', this.redact(v.output));
      out[command] = { command, passed: false, exitCode: v.exitCode, failures: v.failures };
      options.onProgress?.(`${v.message} on ${base} already; tasks are judged by new failures only (--allow-failing-baseline)`);
    }
    return out;
  }

  /** Executes (or resumes) a stored run until it finishes. */
  async executeRun(runId: string, options: ExecuteOptions = {}): Promise<RunOutcome> {
    const { store, config } = this;
    const run = await store.getRun(runId);
    if (!run) throw new InputError(`no run with id "${runId}"`);
    let settings = readRunSettings(run.options);
    if (options.maxCostUsd !== undefined && options.maxCostUsd !== settings.maxCostUsd) {
      settings = { ...settings, maxCostUsd: checkBudget(options.maxCostUsd) };
      await store.updateRun(runId, { options: { ...run.options, ...writeRunSettings(settings) } });
    }
    const events = options.events ?? new EngineEvents();
    const tasks = await store.listTasks(runId);
    const plan = analyzePlan({ title: run.title, context: settings.context, tasks: tasks.map((t) => t.spec), source: settings.source });

    const backends = new Map<string, AgentBackend>();
    // `--sandbox` of this run wins over the config's (per agent too).
    const agentConfig = settings.sandbox ? withSandbox(config, settings.sandbox) : config;
    const backendFor = (task: TaskSpec) => {
      const spec = routeAgent(task, run.agent, config);
      let b = backends.get(spec);
      if (!b) backends.set(spec, (b = this.#agentFactory(spec, agentConfig)));
      return b;
    };
    let workspace: GitWorkspace | null = null;
    let integrationBranch: string | null = null;
    if (run.repo) {
      workspace = await GitWorkspace.open({ repo: run.repo, branchPrefix: config.git.branchPrefix, worktreesDir: config.git.worktreesDir, ignorePaths: this.#ownPaths() });
      const info = await workspace.prepareRun(runId, run.baseBranch);
      integrationBranch = info.branch;
      await store.updateRun(runId, { branch: info.branch, baseBranch: info.baseBranch });
    }
    // Pull requests (src/forge/pr-integration.ts); null unless the run was started with --pr or config pr.enabled.
    const prs = await openPrIntegration({ config, store, run, agentName: (t) => routeAgent(t.spec, run.agent, config), verify: settings.verify });
    const prHooks = prs ? { afterSuccess: prs.afterSuccess.bind(prs), waitingOutside: prs.waitingOutside.bind(prs) } : {};

    const loader = createTemplateLoader(config.prompt.templates ? { overrideDir: config.prompt.templates } : {});
    // Code context is read from the integration branch's tip, so a task sees what its dependencies produced.
    const codeContext = run.repo && integrationBranch && wantsCodeContext(config.prompt) ? createCodeContext(codeContextSettings(config.prompt)) : null;
    const repoContextFor = async (task: TaskSpec): Promise<RepoContext | undefined> => {
      if (!codeContext || !run.repo || !integrationBranch) return undefined;
      // Context is a help, never a reason to fail an attempt.
      return codeContext.forTask(task, createGitSourceTree(run.repo, integrationBranch)).catch(() => undefined);
    };
    // Kept per attempt (bounded) so the dashboard can show what each attempt was sent.
    const keep = async (task: TaskSpec, attempt: number, text: string) => {
      await writeFile(attemptPromptPath(this.dataDir, runId, task.id, attempt), text.slice(0, MAX_PROMPT_FILE)).catch(() => undefined);
      return text;
    };
    const promptFor = async (task: TaskSpec, attempt: number, feedback: AttemptFeedback | undefined) => {
      if (task.prompt !== undefined) return keep(task, attempt, this.redact(verbatimPrompt(task.prompt, feedback)));
      const memory = new Map<string, TaskMemory>();
      for (const dep of task.dependsOn) {
        const rec = await store.getTask(runId, dep);
        const r = rec?.result as { summary?: string | null; filesChanged?: string[]; commits?: string[] } | null;
        if (r) memory.set(dep, { summary: r.summary ?? `${dep} succeeded`, filesChanged: r.filesChanged ?? [], commits: r.commits ?? [] });
      }
      const repoContext = await repoContextFor(task);
      const built = await buildPrompt(plan, task.id, {
        memory,
        loader,
        bestPractices: config.prompt.enhanceWithBestPractices,
        ...(repoContext ? { repoContext } : {}),
        ...(feedback ? { feedback } : {}),
        ...(config.prompt.maxChars ? { maxChars: config.prompt.maxChars } : {}),
      });
      // Dependencies' summaries and the last failure's output end up here: nothing secret goes to an agent.
      return keep(task, attempt, this.redact(built.text));
    };

    const logDir = join(this.dataDir, 'logs');
    mkdirSync(join(logDir, runId), { recursive: true });
    const logFile = pino.destination({ dest: join(logDir, `${runId}.log`), sync: false, mkdir: true });
    const logger = pino({ base: { runId } }, logFile);
    const forward = (name: string) => (e: unknown) => logger.info({ event: name, ...(e as object) }, name);
    for (const name of ['run.started', 'task.started', 'attempt.failed', 'retry.scheduled', 'task.succeeded', 'task.failed', 'task.blocked', 'task.cancelled', 'backend.paused', 'run.finished'] as const) {
      events.on(name, forward(name));
    }
    const taskLogs = new Map<string, TaskLog>();
    const onOutput = (taskId: string, attempt: number, chunk: string) => {
      let s = taskLogs.get(taskId);
      if (!s) taskLogs.set(taskId, (s = new TaskLog(join(logDir, runId, `${taskId.replace(/[^\w.-]/g, '_')}.log`), config.logs.taskMaxBytes)));
      s.write(chunk.startsWith('\n') || !chunk ? chunk : `[attempt ${attempt}] ${chunk}`);
    };
    const recorder = recordEvents(events, store);

    const engine = new Engine(
      runId,
      { store, events, backendFor, workspace: prs ? prs.wrap(workspace) : (workspace as Workspace | null), promptFor, onOutput, redact: this.redact, ...prHooks },
      {
        concurrency: run.concurrency,
        maxAttempts: run.maxAttempts,
        maxInterruptions: config.maxInterruptions,
        retry: config.retry,
        breaker: config.circuitBreaker,
        timeoutMs: settings.timeoutMs,
        leaseMs: options.leaseMs ?? config.leaseSeconds * 1000,
        // Several heartbeats per lease, so one lost to a dropped connection does not lose the task.
        heartbeatMs: options.heartbeatMs ?? Math.min(2_000, (options.leaseMs ?? config.leaseSeconds * 1000) / 5),
        verify: settings.verify,
        baselines: settings.baselines,
        workerId: newWorkerId(),
        pollMs: 100,
        maxCostUsd: settings.maxCostUsd,
      },
    );
    options.onEngine?.(engine);
    try {
      prs?.start();
      const outcome = await engine.execute({ resumed: options.resumed ?? false });
      await prs?.finish().catch((err: unknown) => logger.warn({ err: String(err) }, 'final pull request'));
      if (workspace) {
        await workspace.finishRun(runId);
        if (settings.merge && outcome.run.status === 'succeeded') {
          await workspace.mergeIntoBase(runId, outcome.run.baseBranch);
          events.emit('run.merged', { runId, branch: outcome.run.branch ?? '', baseBranch: outcome.run.baseBranch ?? '' });
        }
      }
      return outcome;
    } finally {
      prs?.stop();
      await recorder.close();
      await Promise.all([...taskLogs.values()].map((s) => s.end()));
      await new Promise((resolve) => {
        logFile.once('close', resolve);
        logFile.end();
      });
    }
  }

  /** The store's SQLite file when there is one (set by openWeft): weft writes it, possibly inside the user's checkout. */
  dbFile: string | null = null;

  /** What weft itself writes, possibly inside the user's checkout (its data dir, a SQLite file): not an agent's change. */
  #ownPaths(): string[] {
    const paths = [this.dataDir];
    if (this.dbFile) paths.push(this.dbFile, `${this.dbFile}-wal`, `${this.dbFile}-shm`, `${this.dbFile}-journal`);
    return paths;
  }

  async close(): Promise<void> {
    await this.#workflows?.close();
    await this.store.close();
  }
}

/** Creates an agent backend from a spec (`simulate`, a preset, a configured name or a command line). */
export type AgentFactory = (spec: string, config: WeftConfig) => AgentBackend;

/** Every backend: simulate (the engine's), codegen, presets, configured agents and command lines. */
export const defaultAgentFactory: AgentFactory = (spec, config) =>
  createAgentBackend(spec, config, { simulate: () => createSimulateAgent(simulateSettingsFromEnv()) });

/** The config with every command agent's containment set to `mode`. */
function withSandbox(config: WeftConfig, mode: SandboxMode): WeftConfig {
  const agents = Object.fromEntries(Object.entries(config.agents).map(([name, a]) => [name, { ...a, sandbox: mode }]));
  return { ...config, sandbox: mode, agents };
}

/** Secret values from the environment and the config: tokens, keys, URL passwords, secret-named `agents.*.env` values. */
export function configSecrets(config: WeftConfig, env: NodeJS.ProcessEnv): string[] {
  const out = secretValues(env, config.server.tokens.map((t) => t.env));
  for (const agent of Object.values(config.agents)) {
    for (const [name, value] of Object.entries(agent.env ?? {})) if (isSecretName(name)) out.push(value);
  }
  const dbPassword = config.db ? urlPassword(config.db) : undefined;
  if (dbPassword) out.push(dbPassword);
  return out;
}

/** A prompt written elsewhere, with the previous failure added on a retry. */
function verbatimPrompt(prompt: string, feedback: AttemptFeedback | undefined): string {
  if (!feedback) return prompt;
  const tail = feedback.outputTail ? `\n\nEnd of its output:\n\n${fence(feedback.outputTail)}` : '';
  return `${prompt.trimEnd()}\n\n## Previous attempt\n\nAttempt ${feedback.attempt} failed (${feedback.category}). Fix this first:\n\n${feedback.message}${tail}\n`;
}

function stripAnalysis(t: Plan['tasks'][number]): TaskSpec {
  const { phase: _p, earliestStartMinutes: _e, slackMinutes: _s, critical: _c, tailMinutes: _t, ...spec } = t;
  return spec;
}

/** Loads config and opens the store. */
export async function openWeft(options: OpenWeftOptions = {}): Promise<Weft> {
  const cwd = options.cwd ?? process.cwd();
  const { config } = await loadConfig({ cwd, ...(options.configPath ? { path: options.configPath } : {}) });
  const spec = resolveDbSpec(options.db, process.env, config.db);
  const store = await openStore(spec, {
    readOnly: options.readOnly ?? false,
    resilience: { outageMs: config.database.outageSeconds * 1000, ...(options.onDatabaseOutage ? { onOutage: options.onDatabaseOutage } : {}) },
  });
  const weft = new Weft(config, store, cwd);
  if (!/^[a-z]+:\/\//i.test(spec)) weft.dbFile = resolve(cwd, spec.replace(/^sqlite:(\/\/)?/i, ''));
  return weft;
}
