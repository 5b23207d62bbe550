/** Parsers for command-line option values; a bad value is a usage error (exit 2). */
import { InvalidArgumentError } from 'commander';

/** Parses a whole number >= 1 (for --max-chars, --max-tokens and the like). */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number >= 1, got "${value}"`);
  return n;
}
