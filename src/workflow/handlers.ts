/**
 * Task handlers by task type (seed 004's `register_task_handler`): a `task` step whose type has a
 * handler runs it with the step's `input` JSON and stores what it returns as the step's output.
 * Built in: `command`, `http`, `code_analysis`; config `handlers:` adds command handlers per type.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { InputError } from '../core/errors.js';
import type { Json } from '../store/records.js';
import { git } from '../vcs/git.js';
import { commandEnv, runArgv } from './steps/run-step.js';
import { sendRequest } from './steps/http-step.js';
import { StepError } from './step-runner.js';

/** What a handler receives. */
export interface TaskHandlerInput {
  type: string;
  name: string;
  input: Json;
  runId: string;
  stepKey: string;
  /** The workflow's repository worktree, when it has one. */
  cwd: string | null;
  signal: AbortSignal;
  log: (line: string) => void;
}

/** A handler: returns the task's output (JSON); a throw fails the task (StepError picks the category). */
export type TaskHandler = (task: TaskHandlerInput) => Json | undefined | Promise<Json | undefined>;

/** A configured command handler: argv that gets the task as JSON on stdin and prints its output as JSON. */
export interface CommandHandlerConfig {
  command: string[] | string;
}

/** The registry: one handler per type, later registrations replace earlier ones. */
export class TaskHandlers {
  readonly #map = new Map<string, TaskHandler>();

  constructor(config: Record<string, CommandHandlerConfig> = {}) {
    this.register('command', commandHandler);
    this.register('http', httpHandler);
    this.register('code_analysis', codeAnalysisHandler);
    for (const [type, c] of Object.entries(config)) this.register(type, configuredHandler(c));
  }

  /** Registers `handler` for `type` (snake_case). */
  register(type: string, handler: TaskHandler): void {
    if (!/^[a-z][a-z0-9_]*$/.test(type)) throw new InputError(`task type must be snake_case, got "${type}"`);
    this.#map.set(type, handler);
  }

  get(type: string): TaskHandler | undefined {
    return this.#map.get(type);
  }

  types(): string[] {
    return [...this.#map.keys()].sort();
  }
}

function argvOf(command: string[] | string): string[] {
  return Array.isArray(command) ? command : command.split(/\s+/).filter(Boolean);
}

function configuredHandler(c: CommandHandlerConfig): TaskHandler {
  const argv = argvOf(c.command);
  return async (task) => {
    const payload = JSON.stringify({ type: task.type, name: task.name, input: task.input, runId: task.runId, step: task.stepKey });
    const r = await runArgv(argv, { cwd: task.cwd ?? process.cwd(), env: commandEnv({ WEFT_TASK_TYPE: task.type }), signal: task.signal, stdin: payload, log: task.log });
    if (r.exitCode !== 0) throw new StepError('validation', `${argv.join(' ')} exited with ${r.exitCode}: ${r.stderr.trim().slice(-500)}`, { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr });
    try {
      return r.stdout.trim() ? (JSON.parse(r.stdout) as Json) : null;
    } catch {
      return { stdout: r.stdout };
    }
  };
}

/** `command`: input `{ argv: [...], cwd? }`. */
const commandHandler: TaskHandler = async (task) => {
  const input = (task.input ?? {}) as { argv?: unknown; cwd?: unknown };
  if (!Array.isArray(input.argv) || input.argv.length === 0 || !input.argv.every((a) => typeof a === 'string')) {
    throw new StepError('validation', 'command handler: input.argv must be a non-empty list of strings');
  }
  const cwd = typeof input.cwd === 'string' ? join(task.cwd ?? process.cwd(), input.cwd) : (task.cwd ?? process.cwd());
  const r = await runArgv(input.argv as string[], { cwd, env: commandEnv({}), signal: task.signal, log: task.log });
  const out = { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  if (r.exitCode !== 0) throw new StepError('validation', `${(input.argv as string[]).join(' ')} exited with ${r.exitCode}`, out);
  return out;
};

/** `http`: input `{ url, method?, headers?, body? }`. */
const httpHandler: TaskHandler = async (task) => {
  const input = (task.input ?? {}) as { url?: unknown; method?: unknown; headers?: unknown; body?: Json };
  if (typeof input.url !== 'string') throw new StepError('validation', 'http handler: input.url is required');
  return sendRequest(
    {
      url: input.url,
      ...(typeof input.method === 'string' ? { method: input.method.toUpperCase() } : {}),
      ...(input.headers && typeof input.headers === 'object' ? { headers: input.headers as Record<string, string> } : {}),
      ...(input.body !== undefined ? { body: input.body } : {}),
    },
    task.signal,
  );
};

const LANGUAGES: Record<string, string> = {
  '.ts': 'TypeScript', '.tsx': 'TypeScript', '.mts': 'TypeScript', '.cts': 'TypeScript', '.js': 'JavaScript', '.jsx': 'JavaScript', '.mjs': 'JavaScript', '.cjs': 'JavaScript',
  '.py': 'Python', '.go': 'Go', '.rs': 'Rust', '.java': 'Java', '.kt': 'Kotlin', '.rb': 'Ruby', '.php': 'PHP', '.cs': 'C#', '.c': 'C', '.h': 'C', '.cc': 'C++', '.cpp': 'C++', '.hpp': 'C++',
  '.swift': 'Swift', '.scala': 'Scala', '.sh': 'Shell', '.md': 'Markdown', '.json': 'JSON', '.yaml': 'YAML', '.yml': 'YAML', '.toml': 'TOML', '.html': 'HTML', '.css': 'CSS', '.sql': 'SQL',
};
const MAX_FILES = 20_000;

/** `code_analysis`: a file and language inventory of the repository (or `input.path` inside it). */
const codeAnalysisHandler: TaskHandler = async (task) => {
  const input = (task.input ?? {}) as { path?: unknown };
  const root = task.cwd ?? process.cwd();
  const dir = typeof input.path === 'string' ? join(root, input.path) : root;
  let files: string[];
  const listed = await git(dir, ['ls-files', '-z', '--', '.'], { allowFail: true });
  if (listed.code === 0) files = listed.stdout.split('\0').filter(Boolean).map((f) => join(dir, f));
  else files = await walk(dir);
  const languages: { [lang: string]: { files: number; lines: number } } = {};
  let lines = 0;
  let counted = 0;
  for (const f of files.slice(0, MAX_FILES)) {
    if (task.signal.aborted) break;
    const lang = LANGUAGES[extname(f).toLowerCase()] ?? 'Other';
    const st = await stat(f).catch(() => null);
    if (!st?.isFile()) continue;
    counted++;
    const n = st.size > 2_000_000 ? 0 : (await readFile(f, 'utf8')).split('\n').length;
    lines += n;
    const l = (languages[lang] ??= { files: 0, lines: 0 });
    l.files++;
    l.lines += n;
  }
  return { path: relative(root, dir) || '.', files: counted, lines, languages, truncated: files.length > MAX_FILES };
};

async function walk(dir: string, out: string[] = []): Promise<string[]> {
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (e.name === '.git' || e.name === 'node_modules') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if (e.isFile()) out.push(p);
    if (out.length > MAX_FILES) break;
  }
  return out;
}
