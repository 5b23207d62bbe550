/**
 * `sandbox: bwrap`: the agent runs under bubblewrap. Read-write: its worktree, its prompt scratch dir,
 * a private /tmp, and exactly what `git commit` in a worktree writes in the repository (the object
 * store, the worktree's own metadata under `<common>/worktrees/<id>`, the directory of its branch's
 * ref and reflog). Everything else is read-only, the user's checkout and other runs' worktrees included;
 * its own pid namespace (it dies with weft); network on unless asked off.
 */
import { execFile } from 'node:child_process';
import { mkdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { AgentError } from './agent-backend.js';
import type { PresetName } from './presets.js';

/** Where bubblewrap is looked for (Debian's package installs it here); `bwrap` on PATH otherwise. */
export const BWRAP = '/usr/bin/bwrap';

/** Per preset: paths under HOME its CLI writes (sessions, settings, caches), writable in the sandbox when they exist. */
export const PRESET_HOME_WRITABLE: Record<PresetName, readonly string[]> = {
  claude: ['.claude', '.claude.json', '.claude.json.backup', '.config/claude', '.cache/claude'],
  codex: ['.codex'],
  gemini: ['.gemini', '.config/gemini'],
  aider: ['.aider', '.cache/aider'],
  example: [],
};

export interface SandboxSpec {
  worktree: string;
  /** The attempt's scratch dir (prompt file). */
  scratch: string;
  branch: string;
  network: boolean;
  preset?: PresetName | undefined;
  home?: string;
}

function run(file: string, args: string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(file, args, { cwd, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 127) : 0;
      done({ code, stdout: String(stdout), stderr: String(stderr) || (err && code === 127 ? (err as Error).message : '') });
    });
  });
}

const exists = (p: string) => stat(p).then(() => true, () => false);

let checked: Promise<string> | undefined;

/** The bwrap program after checking once that it can make a sandbox here; AgentError('validation') saying why not. */
export function checkBwrap(): Promise<string> {
  checked ??= (async () => {
    const program = (await exists(BWRAP)) ? BWRAP : 'bwrap';
    const probe = await run(program, ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-pid', '--die-with-parent', '--', 'true']);
    if (probe.code === 0) return program;
    if (probe.code === 127 && /ENOENT|not found/i.test(probe.stderr)) {
      throw new AgentError('validation', 'sandbox bwrap: bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)');
    }
    throw new AgentError(
      'validation',
      `sandbox bwrap: bubblewrap cannot create a sandbox here: ${probe.stderr.trim() || `exit ${probe.code}`}. User namespaces are probably unavailable ` +
        '(kernel.unprivileged_userns_clone=0, user.max_user_namespaces=0, an AppArmor restriction, or a container without them); run without sandbox or allow them',
    );
  })();
  // A failed probe is not cached forever: the operator may fix it while weft runs.
  checked.catch(() => (checked = undefined));
  return checked;
}

/** The bind arguments for what `git commit` in the worktree writes; none when the directory is not a git worktree. */
async function gitPaths(worktree: string, branch: string): Promise<string[]> {
  const out = await run('git', ['rev-parse', '--git-dir', '--git-common-dir'], worktree);
  if (out.code !== 0) return [];
  const [gitDirRaw, commonRaw] = out.stdout.trim().split('\n');
  const gitDir = resolve(worktree, gitDirRaw ?? '.git');
  const common = resolve(worktree, commonRaw ?? '.git');
  const bind = (p: string) => ['--bind', p, p];
  // A commit writes `<branch>.lock` next to the ref, then renames it; the reflog likewise. Both folders
  // are made here (a packed ref has none) so they can be bound.
  const refDir = dirname(join(common, 'refs', 'heads', branch));
  const logDir = dirname(join(common, 'logs', 'refs', 'heads', branch));
  await mkdir(refDir, { recursive: true });
  await mkdir(logDir, { recursive: true });
  return [
    // The repository stays readable (git reads config, HEAD, packed-refs) even when it lives under /tmp.
    '--ro-bind', common, common,
    ...bind(join(common, 'objects')),
    ...bind(refDir),
    ...bind(logDir),
    ...(gitDir !== common ? bind(gitDir) : []),
  ];
}

/** The argv that runs `argv` under bubblewrap for one attempt. */
export async function bwrapArgv(spec: SandboxSpec, argv: readonly string[]): Promise<string[]> {
  const program = await checkBwrap();
  const worktree = resolve(spec.worktree);
  const gitBinds = await gitPaths(worktree, spec.branch);
  const home = spec.home ?? homedir();
  const homeWritable: string[] = [];
  for (const rel of spec.preset ? PRESET_HOME_WRITABLE[spec.preset] : []) {
    const p = join(home, rel);
    if (await exists(p)) homeWritable.push(p);
  }
  const bind = (p: string) => ['--bind', p, p];
  // The configured program and script files stay visible even under the private /tmp.
  const programFiles: string[] = [];
  for (const a of argv) if (isAbsolute(a) && (await stat(a).then((st) => st.isFile(), () => false))) programFiles.push(a);
  return [
    program,
    '--ro-bind', '/', '/',
    '--dev', '/dev',
    '--proc', '/proc',
    '--tmpfs', '/tmp',
    '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
    ...(spec.network ? [] : ['--unshare-net']),
    '--die-with-parent',
    ...programFiles.flatMap((p) => ['--ro-bind', p, p]),
    ...gitBinds,
    ...bind(worktree),
    ...bind(resolve(spec.scratch)),
    ...homeWritable.flatMap(bind),
    '--setenv', 'TMPDIR', '/tmp',
    '--chdir', worktree,
    '--',
    ...argv,
  ];
}
