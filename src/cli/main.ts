#!/usr/bin/env node
/** The `weft` executable: parse argv, run the command, map errors to exit codes. */
import { CommanderError } from 'commander';
import { exitCodeFor, PreflightError, WeftError } from '../core/errors.js';
import { createProgram } from './program.js';

/** Output piped into `head` and the like: when the reader goes away, stop quietly (exit 0, no stack trace). */
function endQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

async function main(): Promise<void> {
  endQuietlyOnClosedPipe(process.stdout);
  const program = createProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; usage errors are bad input (exit 2). Commander printed the message.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (err instanceof PreflightError) {
      // One line per failed check, each naming what failed.
      process.stderr.write(err.failures.map((f) => `weft: ${f}\n`).join(''));
    } else if (err instanceof WeftError) {
      process.stderr.write(`weft: ${err.message}\n`);
    } else {
      process.stderr.write(`weft: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    process.exitCode = exitCodeFor(err);
  }
}

await main();
