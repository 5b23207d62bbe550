/** The redaction module: known values, token shapes, streams that split a secret, URLs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRedactor, RedactingStream, redactUrl, secretValues } from '../src/core/redact.js';

describe('redact', () => {
  const secret = 'S3cr3t-value-0123456789';
  const redact = createRedactor([secret, 'short', '']);

  it('replaces known values and token shapes, leaves prose alone', () => {
    const text = `a ${secret} b ghp_${'a1'.repeat(18)} github_pat_${'x'.repeat(30)} sk-${'k'.repeat(30)} xoxb-1234-abcdefghijk Authorization: Bearer abc.def-123456`;
    assert.equal(redact(text), 'a [redacted] b [redacted] [redacted] [redacted] [redacted] Authorization: Bearer [redacted]');
    assert.equal(redact('the token rejected (401); bearer authentication; short words stay short'), 'the token rejected (401); bearer authentication; short words stay short');
    assert.equal(redact('postgres://weft:hunter22@db:5432/x'), 'postgres://weft:[redacted]@db:5432/x');
  });

  it('redacts JSON values deeply, keys kept', () => {
    assert.deepEqual(redact.json({ out: [`x ${secret}`], n: 1, nested: { k: secret } }), { out: ['x [redacted]'], n: 1, nested: { k: '[redacted]' } });
  });

  it('finds a secret split across chunks, on one long line too', () => {
    for (const line of ['', 'y'.repeat(5000)]) {
      let out = '';
      const stream = new RedactingStream(redact, (t) => (out += t));
      const text = `${line}start ${secret} middle ${line} sk-${'q'.repeat(40)} end\n${'z'.repeat(3000)}${secret}`;
      for (let i = 0; i < text.length; i += 7) stream.push(text.slice(i, i + 7));
      stream.end();
      assert.equal(out, redact(text));
      assert.ok(!out.includes(secret) && !out.includes('qqqqqqqqqqqq'));
    }
  });

  it('knows secrets from the environment by name and URL passwords', () => {
    const values = secretValues({ MY_API_KEY: 'k-1234567890', WEFT_DB: 'postgres://u:pa55word@h/db', PATH: '/usr/bin', CUSTOM: 'c-1234567890' }, ['CUSTOM']);
    assert.deepEqual(values.sort(), ['c-1234567890', 'k-1234567890', 'pa55word', 'pa55word'].sort());
    assert.equal(redactUrl('redis://:pw@localhost:6379'), 'redis://:***@localhost:6379');
    assert.equal(redactUrl('https://x-access-token:abc@github.com/o/r.git'), 'https://x-access-token:***@github.com/o/r.git');
  });
});
