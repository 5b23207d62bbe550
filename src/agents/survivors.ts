/**
 * Ending an agent that outlived the weft process that started it (before a task is attempted again,
 * so a task never has two live agents). Only a process group whose members carry that attempt's
 * WEFT_RUN_ID and WEFT_TASK_ID is ended: a reused pid is left alone. Linux (/proc); elsewhere a no-op.
 */
import { readdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { AttemptProcess } from '../store/records.js';

/** This machine's name as recorded with attempts. */
export function thisHost(): string {
  return hostname();
}

/** Pids of the processes in process group `pgid` whose environment names this run and task. */
async function membersOf(pgid: number, runId: string, taskId: string): Promise<number[]> {
  const entries = await readdir('/proc').catch(() => [] as string[]);
  const members: number[] = [];
  const wanted = [`WEFT_RUN_ID=${runId}`, `WEFT_TASK_ID=${taskId}`];
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    // Fields after the command name (which may hold spaces) in parentheses: state, ppid, pgrp, ...
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z' || Number(rest[2]) !== pgid) continue;
    const env = (await readFile(`/proc/${name}/environ`, 'utf8').catch(() => '')).split('\0');
    if (wanted.every((w) => env.includes(w))) members.push(Number(name));
  }
  return members;
}

/**
 * Ends the agent processes of earlier attempts recorded on this host that are still alive; resolves
 * with the process groups it ended once they are gone (or after `waitMs`).
 */
export async function endSurvivors(processes: readonly AttemptProcess[], runId: string, taskId: string, waitMs = 5000): Promise<number[]> {
  const ended: number[] = [];
  for (const p of processes) {
    if (p.host !== thisHost() || !Number.isInteger(p.pid) || p.pid <= 1) continue;
    if ((await membersOf(p.pid, runId, taskId)).length === 0) continue;
    try {
      process.kill(-p.pid, 'SIGKILL');
      ended.push(p.pid);
    } catch {
      // Gone meanwhile.
    }
  }
  const deadline = Date.now() + waitMs;
  for (const pgid of ended) {
    while (Date.now() < deadline && (await membersOf(pgid, runId, taskId)).length > 0) await new Promise((r) => setTimeout(r, 50));
  }
  return ended;
}
