/**
 * The real agent CLIs for the conformance tests: where they are installed, a throwaway HOME per run,
 * and which processes are still alive for one HOME.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where scripts/install-test-agents.sh puts the CLIs' bin folder by default. */
const DEFAULT_BIN = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'weft', 'test-agents', 'node_modules', '.bin');

/** The bin folder holding claude, codex and gemini: WEFT_TEST_AGENTS_BIN, else the install script's folder. */
export function realAgentsBin(): string | undefined {
  const dir = process.env.WEFT_TEST_AGENTS_BIN?.trim() || DEFAULT_BIN;
  return existsSync(dir) ? dir : undefined;
}

/** Why a real-CLI test is skipped (undefined when `program` is there). */
export function skipUnlessInstalled(program: string): string | undefined {
  const bin = realAgentsBin();
  if (bin && existsSync(join(bin, program))) return undefined;
  return `${program} is not installed: run \`bash scripts/install-test-agents.sh\` (or set WEFT_TEST_AGENTS_BIN to a folder with claude, codex and gemini)`;
}

// Not under the system temp dir: codex refuses to set up its sandbox helper when CODEX_HOME is there.
const HOMES = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'weft', 'test-homes');

/** A fresh HOME for one CLI run (the CLIs write config, sessions and caches there). */
export function tempHome(): string {
  mkdirSync(HOMES, { recursive: true });
  return mkdtempSync(join(HOMES, 'home-'));
}

/** Removes a HOME made by tempHome. */
export function removeHome(home: string): void {
  rmSync(home, { recursive: true, force: true });
}

/** Pids of live processes whose environment has HOME=`home` (what an agent run left behind). */
export function processesWithHome(home: string): number[] {
  const needle = `HOME=${home}\0`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'latin1');
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      // Zombies are gone already; only their parent has not collected them.
      if (environ.includes(needle) && !/\) Z /.test(stat)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked, or is not ours to read.
    }
  }
  return pids;
}
