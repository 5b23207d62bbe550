/**
 * Checks made before a run is stored (and by `weft doctor`): the repository and base branch, the
 * working tree, every agent the plan will use (program, version, credentials), the verify commands,
 * pull-request setup, and the services when configured. Nothing here writes anything.
 */
import { readFile } from 'node:fs/promises';
import { basename, isAbsolute, resolve } from 'node:path';
import { missingCredentials } from '../agents/agent-credentials.js';
import { resolveAgentSpec, routeAgent } from '../agents/create-agent.js';
import { findExecutable, isPresetName, PRESET_NAMES } from '../agents/presets.js';
import { runProcess } from '../agents/run-process.js';
import type { WeftConfig } from '../config/config-schema.js';
import { closeIds } from '../core/close-match.js';
import { PreflightError } from '../core/errors.js';
import type { TaskSpec } from '../core/task.js';
import { checkPrSetup } from '../forge/pr-integration.js';
import type { RunPrOptions } from '../forge/pr-settings.js';
import { git, gitLines, gitText, refExists } from '../vcs/git.js';
import { verifyArgv } from '../vcs/run-verify.js';
import { verifyCommands } from '../core/task-verify.js';

/** `ok` passes, `warn` is worth knowing but does not stop a run, `fail` stops it. */
export type CheckLevel = 'ok' | 'warn' | 'fail';

/** One line of `weft doctor` (and of a refused run). */
export interface Check {
  /** What was checked: `repository`, `base branch`, `agent claude`, `verify`, `postgres`, … */
  name: string;
  level: CheckLevel;
  message: string;
}

/** What a run would use. */
export interface PreflightInput {
  config: WeftConfig;
  cwd: string;
  /** The run's default agent spec. */
  agent: string;
  /** The plan's tasks (their `Agent:` and `Verify:` lines); none for a doctor without a document. */
  tasks: Pick<TaskSpec, 'agent' | 'type' | 'verify' | 'status'>[];
  repo: string | null;
  baseBranch: string | null;
  verify: string | null;
  pr?: RunPrOptions;
  env?: NodeJS.ProcessEnv;
  /** Run `--version` of preset agents (default true). */
  versions?: boolean;
  /** Check the agents (default true); false when the caller's own agent factory builds them. */
  checkAgents?: boolean;
}

/** The repository root and base branch the checks found (when they did). */
export interface PreflightResult {
  checks: Check[];
  repoRoot: string | null;
  baseBranch: string | null;
}

/** Runs every check that applies; never throws for a failed check (see `assertChecks`). */
export async function runPreflight(input: PreflightInput): Promise<PreflightResult> {
  const env = input.env ?? process.env;
  const checks: Check[] = [];
  const open = input.tasks.filter((t) => t.status !== 'done');
  const specs = [...new Set([input.agent, ...open.map((t) => routeAgent(t, input.agent, input.config))])];
  const agentChecks = input.checkAgents === false ? [] : await Promise.all(specs.map((s) => checkAgent(s, input, env)));
  const needsRepo = agentChecks.some((a) => a.needsWorktree) || input.repo !== null;
  let repoRoot: string | null = null;
  let baseBranch: string | null = null;
  if (needsRepo) {
    const repo = await checkRepository(resolve(input.cwd, input.repo ?? '.'), input.baseBranch ?? input.config.git.baseBranch ?? null);
    checks.push(...repo.checks);
    repoRoot = repo.root;
    baseBranch = repo.base;
  }
  checks.push(...agentChecks.flatMap((a) => a.checks));
  for (const command of verifyCommands(input.verify, open)) checks.push(await checkVerify(command, repoRoot ?? input.cwd, env));
  if (input.pr) {
    try {
      await checkPrSetup(input.config, repoRoot, input.pr);
      if (input.pr.enabled || input.config.pr.enabled) checks.push({ name: 'pull requests', level: 'ok', message: 'GitHub token and remote found' });
    } catch (err) {
      checks.push({ name: 'pull requests', level: 'fail', message: (err as Error).message });
    }
  }
  return { checks, repoRoot, baseBranch };
}

/** Throws PreflightError (exit 2) listing every failed check, one line each. */
export function assertChecks(checks: readonly Check[]): void {
  const failed = checks.filter((c) => c.level === 'fail');
  if (failed.length > 0) throw new PreflightError(failed.map((c) => `${c.name}: ${c.message}`));
}

async function checkRepository(path: string, wanted: string | null): Promise<{ checks: Check[]; root: string | null; base: string | null }> {
  const top = await git(path, ['rev-parse', '--show-toplevel'], { allowFail: true }).catch(() => null);
  if (!top || top.code !== 0 || !top.stdout.trim()) {
    return { checks: [{ name: 'repository', level: 'fail', message: `${path} is not a git repository (run "git init" there or pass --repo)` }], root: null, base: null };
  }
  const root = top.stdout.trim();
  const checks: Check[] = [{ name: 'repository', level: 'ok', message: root }];
  const current = await gitText(root, ['symbolic-ref', '--quiet', '--short', 'HEAD'], { allowFail: true });
  const base = wanted ?? (current || null);
  if (!base) {
    checks.push({ name: 'base branch', level: 'fail', message: 'HEAD is detached; pass the base branch (--base BRANCH)' });
  } else if (!(await refExists(root, base))) {
    const branches = await gitLines(root, ['for-each-ref', '--format=%(refname:short)', 'refs/heads/']);
    const close = closeIds(base, branches);
    const known = close.length ? `did you mean: ${close.join(', ')}` : branches.length ? `branches: ${branches.slice(0, 8).join(', ')}` : 'no commits yet; commit something first';
    checks.push({ name: 'base branch', level: 'fail', message: `"${base}" does not exist in ${root} (${known})` });
  } else {
    checks.push({ name: 'base branch', level: 'ok', message: base });
  }
  // weft's own folder (.weft/: the store, logs) is not the user's work.
  const dirty = (await gitLines(root, ['status', '--porcelain', '--untracked-files=normal'])).filter((l) => l.trim() && !/^.. "?\.weft\//.test(l));
  checks.push(
    dirty.length === 0
      ? { name: 'working tree', level: 'ok', message: 'clean' }
      : { name: 'working tree', level: 'warn', message: `${dirty.length} uncommitted change${dirty.length === 1 ? '' : 's'}: agents start from the last commit of the base branch and do not see them` },
  );
  return { checks, root, base: base && checks.some((c) => c.name === 'base branch' && c.level === 'ok') ? base : null };
}

async function checkAgent(spec: string, input: PreflightInput, env: NodeJS.ProcessEnv): Promise<{ checks: Check[]; needsWorktree: boolean }> {
  const name = `agent ${spec}`;
  let resolved;
  try {
    resolved = resolveAgentSpec(spec, input.config);
  } catch (err) {
    return { checks: [{ name, level: 'fail', message: (err as Error).message }], needsWorktree: false };
  }
  if (resolved.kind === 'simulate') return { checks: [{ name, level: 'ok', message: 'no code changes (simulate)' }], needsWorktree: false };
  if (resolved.kind === 'codegen') {
    const ready = Boolean((env.CODEGEN_API_KEY || env.CODEGEN_TOKEN) && env.CODEGEN_ORG_ID);
    return { checks: [{ name, level: ready ? 'ok' : 'fail', message: ready ? 'CODEGEN_API_KEY and CODEGEN_ORG_ID set' : 'set CODEGEN_API_KEY and CODEGEN_ORG_ID' }], needsWorktree: false };
  }
  const program = resolved.argv[0] ?? '';
  const base = input.repo ? resolve(input.cwd, input.repo) : input.cwd;
  const path = await findExecutable(program.includes('/') && !isAbsolute(program) ? resolve(base, program) : program, env);
  if (!path) {
    const known = [...PRESET_NAMES, ...Object.keys(input.config.agents), 'simulate', 'codegen'];
    const close = closeIds(spec.trim(), known).filter((k) => k !== spec.trim());
    const hint = resolved.preset
      ? ' on PATH (install it; `weft agents` lists what is installed)'
      : close.length
        ? ` (did you mean: ${close.join(', ')})`
        : ' (a preset, a name under `agents` in weft.config.yaml, or a command on PATH)';
    return { checks: [{ name, level: 'fail', message: `command "${program}" not found${hint}` }], needsWorktree: true };
  }
  const preset = resolved.preset;
  // A preset name running another program (`agents.claude.command: [./my-wrapper]`) is the user's own
  // command read with the preset's output reader: its version and the preset's credentials are not ours to check.
  const ownProgram = preset !== undefined && preset !== null && basename(program) === preset;
  if (!preset || preset === 'example' || !ownProgram) return { checks: [{ name, level: 'ok', message: path }], needsWorktree: true };
  const checks: Check[] = [];
  let version = '';
  if (input.versions !== false) {
    const out = await runProcess({ argv: [path, '--version'], cwd: input.cwd, env, signal: AbortSignal.timeout(20_000), tailChars: 2000 }).catch((err: unknown) => ({ code: -1, tail: String((err as Error).message) }));
    if (out.code !== 0) checks.push({ name, level: 'fail', message: `\`${program} --version\` failed: ${out.tail.trim().split('\n').pop() ?? ''}` });
    else version = ` (${out.tail.trim().split('\n')[0]})`;
  }
  // Credentials set in weft.config.yaml (`agents.NAME.env`) count too.
  const missing = isPresetName(preset) ? missingCredentials(preset, { ...env, ...resolved.env }) : null;
  if (missing) checks.push({ name, level: 'fail', message: `no credentials: ${missing}` });
  if (checks.length === 0) checks.push({ name, level: 'ok', message: `${path}${version}` });
  return { checks, needsWorktree: true };
}

// Shell builtins and keywords a verify line may start a segment with; they need no program on PATH.
const SHELL_WORDS = new Set(['cd', 'export', 'set', 'unset', 'exit', 'source', '.', 'test', '[', 'true', 'false', 'if', 'then', 'else', 'fi', 'for', 'do', 'done', 'while', 'echo', 'exec', 'env', '!', '{', '}', '(', ')']);

/** The verify command: its programs resolve (PATH or a path in the repository), and `npm test` / `npm run X` name a script that exists. */
async function checkVerify(command: string, root: string, env: NodeJS.ProcessEnv): Promise<Check> {
  const name = `verify "${command}"`;
  let argv: string[];
  try {
    argv = verifyArgv(command);
  } catch (err) {
    return { name, level: 'fail', message: (err as Error).message };
  }
  const segments = argv[0] === 'sh' && argv[1] === '-c' ? command.split(/&&|\|\||[;|]/).map((s) => s.trim().split(/\s+/)) : [argv];
  for (const words of segments) {
    const program = words.find((w) => !/^\w+=/.test(w));
    if (!program || SHELL_WORDS.has(program) || /[$`(]/.test(program)) continue;
    const path = await findExecutable(program.includes('/') && !isAbsolute(program) ? resolve(root, program) : program, env);
    if (!path) return { name, level: 'fail', message: `command "${program}" not found${program.includes('/') ? ` in ${root}` : ' on PATH'}` };
    const script = packageScript(words);
    if (script) {
      const scripts = await readScripts(root);
      if (scripts && !scripts.includes(script)) {
        const close = closeIds(script, scripts);
        return { name, level: 'fail', message: `package.json in ${root} has no script "${script}"${close.length ? ` (did you mean: ${close.join(', ')})` : ` (scripts: ${scripts.join(', ') || 'none'})`}` };
      }
    }
  }
  return { name, level: 'ok', message: 'resolves' };
}

/** The package.json script a `npm test` / `npm run X` / `pnpm X` / `yarn X` line runs, if it names one. */
function packageScript(words: string[]): string | null {
  const [program, first, second] = words;
  if (!program || !['npm', 'pnpm', 'yarn'].includes(program.split('/').pop()!)) return null;
  if (first === 'test' || first === 't') return 'test';
  if ((first === 'run' || first === 'run-script') && second && !second.startsWith('-')) return second;
  if (program !== 'npm' && first && !first.startsWith('-') && !['install', 'add', 'exec', 'dlx', 'x'].includes(first)) return first;
  return null;
}

async function readScripts(root: string): Promise<string[] | null> {
  try {
    const pkg = JSON.parse(await readFile(resolve(root, 'package.json'), 'utf8')) as { scripts?: Record<string, unknown> };
    return Object.keys(pkg.scripts ?? {});
  } catch {
    return null;
  }
}
