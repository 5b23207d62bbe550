/** Turns an `--agent` value or a config name into a backend, and picks the backend for each task (routing). */
import { basename } from 'node:path';
import { splitCommandLine, type WeftConfig } from '../config/config-schema.js';
import { InputError } from '../core/errors.js';
import type { TaskSpec } from '../core/task.js';
import type { SandboxMode } from '../config/config-schema.js';
import type { AgentBackend } from './agent-backend.js';
import { credentialPreset } from './agent-env.js';
import { createCodegenAgent, type CodegenOptions } from './codegen-agent.js';
import { createCommandAgent } from './command-agent.js';
import { agentPresets, isPresetName, presetArgv, presetEnv, type PresetName } from './presets.js';

/** What an agent spec names. */
export type AgentSpec =
  | { kind: 'simulate' }
  | { kind: 'codegen' }
  | {
      kind: 'command';
      /** Backend name: the preset or config name, or the program's name for a raw command line. */
      name: string;
      argv: string[];
      env: Record<string, string>;
      /** The preset whose output reader applies (also when weft.config.yaml redefines a preset's command). */
      preset?: PresetName;
      /** Variables passed from weft's environment by name (config `agents.NAME.passEnv`). */
      passEnv?: string[];
      /** Containment (config `agents.NAME.sandbox`); default the config's top-level `sandbox`. */
      sandbox?: SandboxMode;
      /** Network inside the sandbox (config `agents.NAME.network`); default on. */
      network?: boolean;
    };

/**
 * Resolves `simulate`, `codegen`, a name from config `agents`, a preset (claude, codex, aider, gemini,
 * example), or else a command line (split like a shell would, never run through one). InputError when unusable.
 */
export function resolveAgentSpec(spec: string, config: WeftConfig): AgentSpec {
  const text = spec.trim();
  if (!text) throw new InputError('agent is empty: use simulate, codegen, a preset (claude, codex, aider, gemini, example), a name from `agents`, or a command line');
  if (text === 'simulate') return { kind: 'simulate' };
  if (text === 'codegen') return { kind: 'codegen' };
  const configured = Object.hasOwn(config.agents, text) ? config.agents[text] : undefined;
  const options = { maxAttemptCostUsd: config.budget.maxAttemptCostUsd };
  if (configured) {
    const preset = isPresetName(text) ? text : undefined;
    const env = configured.env ?? {};
    const seen = { ...process.env, ...env };
    const argv = configured.command ?? (preset ? agentPresets()[preset].argv : []);
    return {
      kind: 'command',
      name: text,
      argv: preset ? presetArgv(preset, seen, options, argv) : argv,
      env: preset ? { ...presetEnv(preset, seen), ...env } : env,
      ...(preset ? { preset } : {}),
      ...(configured.passEnv ? { passEnv: configured.passEnv } : {}),
      ...(configured.sandbox ? { sandbox: configured.sandbox } : {}),
      ...(configured.network !== undefined ? { network: configured.network } : {}),
    };
  }
  if (isPresetName(text)) return { kind: 'command', name: text, argv: presetArgv(text, process.env, options), env: presetEnv(text, process.env), preset: text };
  const argv = splitCommandLine(text);
  if (argv === null) throw new InputError(`agent command has an unbalanced quote: ${text}`, { agent: text });
  if (argv.length === 0) throw new InputError('agent command is empty', { agent: text });
  return { kind: 'command', name: basename(argv[0]!), argv, env: {} };
}

/** Options for building backends. */
export interface CreateAgentOptions {
  /** The engine's simulate backend; agents/ does not build it. */
  simulate?: () => AgentBackend;
  codegen?: CodegenOptions;
  /** Time between SIGTERM and SIGKILL for command agents. */
  killGraceMs?: number;
}

/** Builds the backend an agent spec names; `simulate` comes from `opts.simulate` (InputError without it). */
export function createAgentBackend(spec: string | AgentSpec, config: WeftConfig, opts: CreateAgentOptions = {}): AgentBackend {
  const resolved = typeof spec === 'string' ? resolveAgentSpec(spec, config) : spec;
  switch (resolved.kind) {
    case 'simulate':
      if (!opts.simulate) throw new InputError('the simulate backend is provided by the engine: pass opts.simulate');
      return opts.simulate();
    case 'codegen':
      return createCodegenAgent({ config: config.codegen, ...opts.codegen });
    case 'command': {
      const parseOutput = resolved.preset ? agentPresets()[resolved.preset].parseOutput : undefined;
      const sandbox = resolved.sandbox ?? config.sandbox;
      return createCommandAgent({
        name: resolved.name,
        argv: resolved.argv,
        env: resolved.env,
        parseOutput,
        killGraceMs: opts.killGraceMs,
        credentials: credentialPreset(resolved.name, resolved.argv),
        passEnv: resolved.passEnv ?? [],
        blockedEnv: config.server.tokens.map((t) => t.env),
        sandbox: sandbox === 'bwrap' ? { network: resolved.network ?? true } : null,
      });
    }
  }
}

/**
 * The agent spec for one task: its own `Agent:` line wins, then the first config route whose type
 * matches (a route without a type matches every task), then the run's default.
 */
export function routeAgent(task: Pick<TaskSpec, 'agent' | 'type'>, defaultSpec: string, config: WeftConfig): string {
  if (task.agent && task.agent.trim()) return task.agent.trim();
  const route = config.routing.find((r) => r.type === undefined || r.type === task.type);
  return route?.agent ?? defaultSpec;
}

/**
 * The engine's `backendFor`: routes each task and builds each distinct backend once (so one breaker and one
 * rate gate serve every task that uses it). Every spec is resolved up front, so a bad one fails before the run.
 */
export function createBackendRouter(defaultSpec: string, config: WeftConfig, opts: CreateAgentOptions = {}): (task: TaskSpec) => AgentBackend {
  const cache = new Map<string, AgentBackend>();
  const get = (spec: string) => {
    let backend = cache.get(spec);
    if (!backend) {
      backend = createAgentBackend(spec, config, opts);
      cache.set(spec, backend);
    }
    return backend;
  };
  get(defaultSpec);
  for (const r of config.routing) get(r.agent);
  return (task) => get(routeAgent(task, defaultSpec, config));
}

/** Whether any backend a run may use edits a local worktree (then the run needs a git repository). */
export function needsRepository(specs: string[], config: WeftConfig): boolean {
  return specs.some((s) => resolveAgentSpec(s, config).kind === 'command');
}
