/** A per-task log file with a size cap: the head goes to the file at once, the tail is kept and written at the end, with what was cut said between them. */
import { createWriteStream, statSync, type WriteStream } from 'node:fs';
import { TailBuffer } from '../agents/run-process.js';

/** Appends to a log file, at most about `maxBytes` in all (earlier runs' content counted). */
export class TaskLog {
  readonly #stream: WriteStream;
  readonly #headBytes: number;
  readonly #tail: TailBuffer;
  #written: number;
  #after = 0;

  constructor(path: string, maxBytes: number) {
    let existing = 0;
    try {
      existing = statSync(path).size;
    } catch {
      existing = 0;
    }
    this.#stream = createWriteStream(path, { flags: 'a' });
    this.#headBytes = Math.floor(maxBytes / 2);
    this.#written = existing;
    this.#tail = new TailBuffer(Math.max(0, maxBytes - Math.max(existing, this.#headBytes)));
  }

  /** Writes (or, past the head, keeps for the tail) a piece of text. */
  write(text: string): void {
    if (!text) return;
    if (this.#after === 0 && this.#written < this.#headBytes) {
      const bytes = Buffer.byteLength(text);
      if (this.#written + bytes <= this.#headBytes) {
        this.#stream.write(text);
        this.#written += bytes;
        return;
      }
      // Split at a character boundary close to the limit; the rest starts the tail.
      const room = this.#headBytes - this.#written;
      const head = Buffer.from(text).subarray(0, room).toString('utf8').replace(/\uFFFD$/, '');
      this.#stream.write(head);
      this.#written += Buffer.byteLength(head);
      text = text.slice(head.length);
    }
    this.#after += text.length;
    this.#tail.push(text);
  }

  /** Writes the kept tail (with a line saying how much was cut) and closes the file. */
  end(): Promise<void> {
    const tail = this.#tail.toString();
    const cut = this.#after - tail.length;
    if (cut > 0) this.#stream.write(`\n[weft: ${cut} characters cut here: the log is capped at logs.taskMaxBytes; the first and the last part are kept]\n`);
    if (tail) this.#stream.write(tail);
    return new Promise((resolve) => this.#stream.end(resolve));
  }
}
