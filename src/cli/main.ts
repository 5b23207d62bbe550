#!/usr/bin/env node
/** The `weft` executable: parse argv, run the command, map errors to exit codes. */
import { CommanderError } from 'commander';
import { exitCodeFor, WeftError } from '../core/errors.js';
import { createProgram } from './program.js';

async function main(): Promise<void> {
  const program = createProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; usage errors are bad input (exit 2). Commander printed the message.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (err instanceof WeftError) {
      process.stderr.write(`weft: ${err.message}\n`);
    } else {
      process.stderr.write(`weft: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    process.exitCode = exitCodeFor(err);
  }
}

await main();
