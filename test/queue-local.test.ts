import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLocalQueue } from '../src/queue/local-queue.js';
import type { RunJob } from '../src/queue/run-queue.js';

test('the local queue executes each shard once in this process, also when enqueued again while running', async () => {
  const seen: RunJob[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const queue = createLocalQueue(async (job) => {
    seen.push(job);
    await gate;
  });
  await queue.enqueue('r1', { shards: 2 });
  await queue.enqueue('r1', { shards: 2 });
  await queue.enqueue('r2');
  release();
  await queue.drain();
  assert.deepEqual(seen.map((j) => `${j.runId}-${j.shard}`).sort(), ['r1-0', 'r1-1', 'r2-0']);
  await queue.enqueue('r1');
  await queue.drain();
  assert.equal(seen.length, 4, 'a finished run can be enqueued again');
  await queue.close();
  await assert.rejects(queue.enqueue('r3'), /closed/);
});

test('the local queue aborts running jobs on close and reports handler errors from drain', async () => {
  let aborted = false;
  const queue = createLocalQueue(async (_job, signal) => {
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    aborted = true;
  });
  await queue.enqueue('r1');
  await queue.close();
  assert.ok(aborted);

  const failing = createLocalQueue(async () => {
    throw new Error('boom');
  });
  await failing.enqueue('r1');
  await assert.rejects(failing.drain(), /boom/);
  await assert.rejects(createLocalQueue(async () => undefined).enqueue('r1', { shards: 0 }), /shards/);
});
