/** What a valid weft.config.yaml is: the zod schema (shape and defaults), normalization and cross-key rules. */

import { z } from 'zod';
import { TASK_TYPES } from '../core/task.js';

/** A problem found in a config value, located by its key path. */
export interface ConfigIssue {
  path: (string | number)[];
  message: string;
}

/** How a bad value reads in a message: `"abc"`, `1.5`, `a list`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value);
}

// Each field builder phrases its own errors, so a message says what was wanted
// ("a whole number >= 1") rather than zod's type vocabulary ("int", "safeint").
const got = (iss: { input?: unknown }): string => `got ${describeValue(iss.input)}`;

const wholeNumber = (min: number, max?: number) => {
  const wanted = max === undefined ? `a whole number >= ${min}` : `a whole number from ${min} to ${max}`;
  const error = (iss: { input?: unknown }) => `expected ${wanted}, ${got(iss)}`;
  const base = z.int({ error }).min(min, { error });
  return max === undefined ? base : base.max(max, { error });
};

const positiveNumber = () => {
  const error = (iss: { input?: unknown }) => `expected a number > 0, ${got(iss)}`;
  return z.number({ error }).positive({ error });
};

const text = () => {
  const error = (iss: { input?: unknown }) => `expected non-empty text, ${got(iss)}`;
  return z.string({ error }).trim().min(1, { error });
};

const flag = () => z.boolean({ error: (iss) => `expected true or false, ${got(iss)}` });

const textList = () => z.array(text(), { error: (iss) => `expected a list of text, ${got(iss)}` });

// Strict sections reject typos ("concurency") instead of silently ignoring them.
function section<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === 'unrecognized_keys' ? `unknown key (known keys: ${known})` : `expected a mapping, ${got(iss)}`,
  });
}

// `prompt:` with every sub-key commented out is YAML null; it means "use the defaults", not an error.
const nullAsUnset = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === null ? undefined : v), schema);

const mapOf = <T extends z.ZodType>(value: T) =>
  z.record(z.string(), value, { error: (iss) => `expected a mapping, ${got(iss)}` });

// Environment values are strings to the child process; YAML readers write `DEBUG: 1`.
const envValue = z
  .union([z.string(), z.number(), z.boolean()], {
    error: (iss) => `expected text, a number or true/false, ${got(iss)}`,
  })
  .transform(String);

// A command is spawned as argv (task text never reaches a shell), so a string is split here once.
const command = z
  .union([text(), z.array(text()).min(1)], {
    error: (iss) => `expected a command line or a non-empty list of arguments, ${got(iss)}`,
  })
  .transform((value, ctx) => {
    if (Array.isArray(value)) return value;
    const argv = splitCommandLine(value);
    if (argv === null) ctx.addIssue({ code: 'custom', message: `unbalanced quote in ${JSON.stringify(value)}` });
    return argv ?? [];
  });

/** How an agent process is contained: `none` (a worktree and a minimal environment) or `bwrap` (also bubblewrap). */
export const SANDBOX_MODES = ['none', 'bwrap'] as const;
export type SandboxMode = (typeof SANDBOX_MODES)[number];
const sandboxMode = () => z.enum(SANDBOX_MODES, { error: (iss) => `expected ${SANDBOX_MODES.join(' or ')}, ${got(iss)}` });

const agentSchema = section({
  command: command.optional().describe('Program and arguments; a string is split like a shell would, without running one (optional for a preset name)'),
  env: mapOf(envValue).optional().describe('Extra environment variables for the agent process'),
  passEnv: z
    .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: (iss) => `expected a variable name, ${got(iss)}` }), {
      error: (iss) => `expected a list of variable names, ${got(iss)}`,
    })
    .optional()
    .describe("Variables passed from weft's environment by name (the only way GITHUB_TOKEN or weft's tokens reach an agent)"),
  sandbox: sandboxMode().optional().describe('Run this agent under bubblewrap (`bwrap`) or not (`none`); default: top-level `sandbox`'),
  network: flag().optional().describe('Network inside the bwrap sandbox; default true (agents call their APIs)'),
});

const routeSchema = section({
  type: z
    .enum(TASK_TYPES, { error: (iss) => `expected one of ${TASK_TYPES.join(', ')}, ${got(iss)}` })
    .optional()
    .describe('Task type this route applies to; omit for a catch-all route'),
  agent: text().describe('Agent backend name (built-in or from `agents`) for tasks of this type'),
});

/** The weft.config.yaml schema: every key optional, defaults filled in. */
export const weftConfigSchema = section({
  agent: text().optional().describe('Default agent backend: "simulate", "claude", a name from `agents`, or a command line'),
  concurrency: wholeNumber(1).default(4).describe('How many tasks run at the same time'),
  maxAttempts: wholeNumber(1).default(3).describe('Tries per task before it is marked failed'),
  maxInterruptions: wholeNumber(1)
    .default(3)
    .describe('Attempts of one task cut short (a crashed worker, a lost lease) before the task fails instead of running again'),
  defaultEstimateMinutes: positiveNumber().default(60).describe('Estimate for tasks whose document gives none'),
  db: text().optional().describe('SQLite file path (relative to the config file) or a postgres:// URL'),
  database: nullAsUnset(
    section({
      outageSeconds: positiveNumber()
        .default(600)
        .describe('Postgres: how long a call waits out a lost connection or a restarting server before weft exits 3 ("database unavailable")'),
    }).prefault({}),
  ).describe('Database fault handling'),
  verify: text().optional().describe('Quality gate command run in the worktree after the agent, e.g. "npm test"'),
  timeoutMinutes: positiveNumber().default(30).describe('Time limit for one attempt'),
  leaseSeconds: positiveNumber()
    .default(30)
    .describe('How long a claimed task stays claimed without a heartbeat; after it another engine may take the task over'),
  sandbox: sandboxMode().default('none').describe('Default containment of command agents: `none` or `bwrap` (bubblewrap)'),
  logs: nullAsUnset(
    section({
      taskMaxBytes: wholeNumber(1024).default(10 * 1024 * 1024).describe("Largest per-task log file; the head and the tail are kept, what was cut is said"),
    }).prefault({}),
  ).describe('Log files under .weft/logs'),
  retry: nullAsUnset(
    section({
      baseMs: wholeNumber(0).default(2000).describe('First retry delay'),
      maxMs: wholeNumber(0).default(60000).describe('Longest retry delay'),
      multiplier: positiveNumber().default(2).describe('Growth factor of the delay per attempt'),
    }).prefault({}),
  ).describe('Exponential backoff with jitter between attempts'),
  budget: nullAsUnset(
    section({
      maxCostUsd: z
        .number({ error: (iss) => `expected a number of US dollars >= 0, ${got(iss)}` })
        .min(0, { error: 'must be >= 0' })
        .optional()
        .describe('Cost budget of a run in US dollars: once spent, no new attempt starts and the run ends failed (reason budget)'),
      maxAttemptCostUsd: positiveNumber()
        .optional()
        .describe("Spending cap in USD for one attempt, passed to agents that take one (Claude Code's --max-budget-usd)"),
    }).prefault({}),
  ).describe('What a run may spend on agents (as the agents report cost)'),
  codegen: nullAsUnset(
    section({
      agentType: z
        .enum(['codegen', 'claude_code'], { error: (iss) => `expected codegen or claude_code, ${got(iss)}` })
        .optional()
        .describe("Codegen's agent_type for new runs; default: the organization's"),
      agent_type: z.enum(['codegen', 'claude_code'], { error: (iss) => `expected codegen or claude_code, ${got(iss)}` }).optional().describe('Alias of agentType'),
      model: text().optional().describe("Model for new runs; default: the organization's"),
      repoId: z.union([wholeNumber(1), text()]).optional().describe('Repository id of new runs (CODEGEN_REPO_ID wins)'),
      repo_id: z.union([wholeNumber(1), text()]).optional().describe('Alias of repoId'),
      runsPerMinute: wholeNumber(1).default(10).describe('Agent runs created per minute at most (Codegen documents 10)'),
    })
      .prefault({})
      .transform(({ agent_type, repo_id, ...rest }) => ({ ...rest, agentType: rest.agentType ?? agent_type, repoId: rest.repoId ?? repo_id })),
  ).describe("Codegen's hosted agent (--agent codegen)"),
  circuitBreaker: nullAsUnset(
    section({
      consecutiveFailures: wholeNumber(1).default(5).describe('Failures in a row that open the breaker'),
      halfOpenAfterMs: wholeNumber(0).default(30000).describe('Wait before letting one trial call through'),
    }).prefault({}),
  ).describe('Stops calling an agent backend that keeps failing'),
  agents: nullAsUnset(mapOf(agentSchema).default({})).describe('Custom named agents: name -> { command, env }'),
  routing: nullAsUnset(
    z.array(routeSchema, { error: (iss) => `expected a list of { type, agent }, ${got(iss)}` }).default([]),
  ).describe('Per-task-type agent backend; first matching route wins'),
  prompt: nullAsUnset(
    section({
      maxChars: wholeNumber(1).optional().describe('Upper bound on prompt size; context is trimmed to fit'),
      maxContextSize: wholeNumber(1).optional().describe('Alias of maxChars (seed 002); maxChars wins when both are set'),
      templates: text().optional().describe('Directory of prompt templates overriding the built-in ones'),
      includeFileStructure: flag().default(true).describe("A repository map: signatures of the task's files and their neighbours"),
      includeRelatedFiles: flag().default(true).describe("The content of the task's files and their closest neighbours, where it fits"),
      includeCodeExamples: flag().default(true).describe('Existing definitions named like the task, as code to follow'),
      includeDependencies: flag().default(true).describe("A summary of the project's dependency manifest (package.json, go.mod, …)"),
      enhanceWithBestPractices: flag().default(true).describe("The task type's best-practice steps (\"How to fix this bug\", …)"),
    })
      .prefault({})
      .transform(({ maxContextSize, ...rest }) => ({ ...rest, maxChars: rest.maxChars ?? maxContextSize })),
  ).describe('Prompt building'),
  git: nullAsUnset(
    section({
      baseBranch: text().optional().describe('Branch tasks start from and merge into; default: the current branch'),
      branchPrefix: text().default('weft/').describe('Prefix of task branch names'),
      remote: text().default('origin').describe('Remote that branches are pushed to'),
      worktreesDir: text()
        .optional()
        .describe("Where attempt worktrees live (never under .git/); default $XDG_CACHE_HOME/weft/worktrees/<repo>-<id>"),
    }).prefault({}),
  ).describe('Git branches and remote'),
  pr: nullAsUnset(
    section({
      enabled: flag().default(false).describe('Open a pull request per task'),
      draft: flag().default(false).describe('Open pull requests as drafts'),
      labels: textList().default(['weft']).describe('Labels added to every pull request'),
      reviewers: textList().default([]).describe('Users asked for review'),
      assignees: textList().default([]).describe('Users assigned to the pull request'),
      signOff: flag().default(false).describe('Add a Signed-off-by trailer to commits'),
      autoMerge: flag().default(false).describe('Enable auto-merge once checks pass'),
      mergeMethod: z
        .enum(['merge', 'squash', 'rebase'], { error: (iss) => `expected merge, squash or rebase, ${got(iss)}` })
        .default('merge')
        .describe('How weft merges an approved, green pull request (autoMerge)'),
      waitForMerge: flag().default(false).describe("Start a task's dependents only after its pull request merged"),
      finalPr: flag().default(true).describe("Open one more pull request from the run's integration branch into the base branch"),
      pollSeconds: wholeNumber(0).default(60).describe('How often a run polls its open pull requests; 0 = webhooks only'),
      githubRepo: text().optional().describe('OWNER/NAME on GitHub; default: read from the remote URL'),
      reactions: nullAsUnset(
        section({
          checksFailed: wholeNumber(0).default(2).describe('New attempts for failing checks before a human is asked; 0 = ask at once'),
          changesRequested: wholeNumber(0).default(2).describe('New attempts for requested changes before a human is asked'),
          conflict: wholeNumber(0).default(2).describe('Rebase attempts for a merge conflict before a human is asked'),
        }).prefault({}),
      ).describe('How many times weft reacts to a pull request event with a new attempt'),
    }).prefault({}),
  ).describe('Pull requests'),
  repositories: nullAsUnset(mapOf(text()).default({})).describe(
    "Named repositories (name -> path on this machine) that API requests may name, e.g. seed 000's context.repository",
  ),
  server: nullAsUnset(
    section({
      host: text().default('127.0.0.1').describe('Address the API and dashboard listen on'),
      port: wholeNumber(0, 65535).default(7077).describe('Port the API and dashboard listen on'),
      tokens: z
        .array(
          section({
            name: text().describe('Shown in the audit log instead of the token'),
            role: z
              .enum(['viewer', 'operator', 'admin'], { error: (iss) => `expected viewer, operator or admin, ${got(iss)}` })
              .describe('viewer: read only; operator: also start, change and cancel work; admin: also the audit log'),
            env: text().describe('Environment variable holding the token (tokens never live in the config file)'),
          }),
          { error: (iss) => `expected a list of { name, role, env }, ${got(iss)}` },
        )
        .default([])
        .describe('API tokens with roles, besides WEFT_API_TOKEN (an admin)'),
    }).prefault({}),
  ).describe('HTTP API and dashboard'),
  handlers: nullAsUnset(
    mapOf(
      section({
        command: z
          .union([text(), textList()], { error: (iss) => `expected a command line or a list of arguments, ${got(iss)}` })
          .describe('Command run for each task of this type: the task as JSON on stdin, its output as JSON on stdout'),
      }),
    ).default({}),
  ).describe('Task handlers per task type (workflow `task` steps and `weft task create`): type -> { command }'),
  workflows: nullAsUnset(
    section({
      concurrency: wholeNumber(1).default(4).describe('Leaf steps one workflow run executes at the same time (a workflow\'s `concurrency` overrides)'),
    }).prefault({}),
  ).describe('Workflows (seed 004)'),
});

/** Agent names that need no `command` in `agents` (the built-in presets; kept in step with agents/presets.ts PRESET_NAMES). */
const PRESET_AGENT_NAMES: readonly string[] = ['claude', 'codex', 'aider', 'gemini', 'example'];

/** A complete, normalized weft configuration. */
export type WeftConfig = z.output<typeof weftConfigSchema>;

/** The configuration used when there is no config file. */
export function defaultConfig(): WeftConfig {
  return weftConfigSchema.parse({});
}

/** Rules that span several keys, checked after the schema; returns every violation. */
export function checkConfigRules(config: WeftConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (config.retry.maxMs < config.retry.baseMs) {
    issues.push({ path: ['retry', 'maxMs'], message: `must be >= retry.baseMs (${config.retry.baseMs}), got ${config.retry.maxMs}` });
  }
  for (const name of Object.keys(config.agents)) {
    // Names appear in `agent:` and `routing` where whitespace would read as a command line.
    if (!/^[A-Za-z0-9][\w.-]*$/.test(name)) {
      issues.push({ path: ['agents', name], message: 'agent names use letters, digits, ".", "_" and "-" only' });
    }
    const agent = config.agents[name]!;
    if (!agent.command && !PRESET_AGENT_NAMES.includes(name)) {
      issues.push({ path: ['agents', name, 'command'], message: `required (${name} is not a preset: ${PRESET_AGENT_NAMES.join(', ')})` });
    }
  }
  const seen = new Map<string, number>();
  config.routing.forEach((route, i) => {
    const key = route.type ?? '(any type)';
    const first = seen.get(key);
    // A second route for the same type could never match; that is always a mistake.
    if (first !== undefined) {
      issues.push({ path: ['routing', i], message: `duplicates routing[${first}] for ${key}` });
    } else seen.set(key, i);
  });
  return issues;
}

/** Splits a command line into argv with shell-like quoting ('…', "…", \x); null if a quote is unbalanced. */
export function splitCommandLine(line: string): string[] | null {
  const args: string[] = [];
  let current = '';
  let inArg = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) current += line[++i];
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inArg = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      current += line[++i];
      inArg = true;
    } else if (/\s/.test(ch)) {
      if (inArg) args.push(current);
      current = '';
      inArg = false;
    } else {
      current += ch;
      inArg = true;
    }
  }
  if (quote) return null;
  if (inArg) args.push(current);
  return args;
}
