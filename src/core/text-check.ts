/** Text input that cannot be stored or shown as text: NUL bytes, invalid UTF-8, lone surrogates. */

/** Where a piece of text stops being valid text (1-based line and column), and why. */
export interface TextProblem {
  line: number;
  column: number;
  reason: string;
}

// eslint-disable-next-line no-control-regex -- finding NUL is the point
const NUL_OR_SURROGATE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The first NUL character or lone surrogate in a string, or null when it is clean. */
export function findBadChar(text: string): TextProblem | null {
  const m = NUL_OR_SURROGATE.exec(text);
  if (!m) return null;
  const before = text.slice(0, m.index);
  const line = before.split('\n').length;
  const column = m.index - before.lastIndexOf('\n');
  return { line, column, reason: m[0] === '\u0000' ? 'contains a NUL byte' : 'contains invalid Unicode (a lone surrogate)' };
}

/** Decodes UTF-8 bytes, or says where they are not UTF-8 text (invalid sequences or NUL bytes). */
export function decodeText(bytes: Uint8Array): { text: string } | { problem: TextProblem } {
  const nul = bytes.indexOf(0);
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(nul >= 0 ? bytes.subarray(0, nul) : bytes);
    if (nul < 0) return { text };
    return { problem: { ...position(bytes, nul), reason: 'contains a NUL byte (is it a binary file?)' } };
  } catch {
    return { problem: { ...position(bytes, firstInvalidUtf8(bytes)), reason: 'is not valid UTF-8 text (is it a binary file?)' } };
  }
}

function position(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/** Offset of the first byte that does not begin or continue a well-formed UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (len === 0) return i;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(i, i + len));
    } catch {
      return i;
    }
    i += len;
  }
  return bytes.length;
}
