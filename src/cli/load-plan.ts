/** Reads REQUIREMENTS.md (and STRUCTURE.md) from disk and plans them. */
import { readFile } from 'node:fs/promises';
import { SourceError } from '../core/errors.js';
import { decodeText } from '../core/text-check.js';
import type { Plan } from '../core/task.js';
import { buildPlan } from '../plan/build-plan.js';

/** Reads a UTF-8 text file; an unreadable or binary file is bad input that names the file and line. */
export async function readSource(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : String((err as Error).message);
    throw new SourceError(file, 1, `cannot read file: ${why}`);
  }
  const decoded = decodeText(bytes);
  if ('problem' in decoded) throw new SourceError(file, decoded.problem.line, `not a text file: ${decoded.problem.reason} at column ${decoded.problem.column}`);
  return decoded.text;
}

/** Plans a requirements file, with an optional structure file. */
export async function loadPlan(file: string, options: { structure?: string; defaultEstimateMinutes?: number } = {}): Promise<Plan> {
  const text = await readSource(file);
  const structure = options.structure ? { text: await readSource(options.structure), file: options.structure } : undefined;
  return buildPlan({
    requirements: { text, file },
    ...(structure ? { structure } : {}),
    ...(options.defaultEstimateMinutes ? { defaultEstimateMinutes: options.defaultEstimateMinutes } : {}),
  });
}
