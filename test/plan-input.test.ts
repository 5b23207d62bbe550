import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readSource } from '../src/cli/load-plan.js';
import { SourceError } from '../src/core/errors.js';
import { buildPlan } from '../src/plan/build-plan.js';

const plan = (text: string) => buildPlan({ requirements: { text, file: 'REQUIREMENTS.md' } });

function rejects(text: string, pattern: RegExp, line: number): void {
  assert.throws(
    () => plan(text),
    (err: unknown) => err instanceof SourceError && err.line === line && pattern.test(err.message),
  );
}

describe('plan input mistakes', () => {
  for (const key of ['Dependencies', 'Depends', 'Requires', 'After', 'Blocked by']) {
    it(`"${key}:" right under a heading is an error that suggests "Depends on:"`, () => {
      rejects(`# T\n\n## A: One\nDo a.\n\n## B: Two\n${key}: A\n\nDo b.\n`, /unknown metadata key .*did you mean "Depends on:"/, 7);
    });
  }

  it('a misspelt key is an error with a did-you-mean', () => {
    rejects('# T\n\n## A: One\nPrority: high\n\nDo a.\n', /did you mean "Priority:"/, 4);
  });

  it('an unknown key among metadata lines is an error listing the known keys', () => {
    rejects('# T\n\n## A: One\nType: feature\nOwner: bob\n\nDo a.\n', /unknown metadata key "Owner:" \(known keys: Type:, Priority:, Depends on:/, 5);
  });

  it('a key given twice is an error naming both lines', () => {
    rejects('# T\n\n## A: One\nType: feature\nPriority: low\ntype: bug_fix\n\nDo a.\n', /"type:" given twice .*REQUIREMENTS\.md:4/, 6);
  });

  it('prose that starts with a word and a colon is still description', () => {
    const p = plan('# T\n\n## A: One\nNote: the schema comes first.\n\nThe system has:\n- a thing\n');
    assert.match(p.tasks[0]!.description, /Note: the schema comes first/);
  });

  it('the real key still works in every spelling', () => {
    const p = plan('# T\n\n## A: One\nDo a.\n\n## B: Two\n**Depends-On:** A\n\nDo b.\n');
    assert.deepEqual(p.tasks.find((t) => t.id === 'B')!.dependsOn, ['A']);
  });
});

describe('files that are not text', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-input-'));

  it('20 MB of random bytes is bad input naming the file', async () => {
    const file = join(dir, 'random.md');
    writeFileSync(file, randomBytes(20 * 1024 * 1024));
    await assert.rejects(readSource(file), (err: unknown) => err instanceof SourceError && err.file === file && /not a text file/.test(err.message));
  });

  it('a NUL byte names its line', async () => {
    const file = join(dir, 'nul.md');
    writeFileSync(file, '# T\n\n## A\nab\0c\n');
    await assert.rejects(readSource(file), (err: unknown) => err instanceof SourceError && err.line === 4 && /NUL/.test(err.message));
  });

  it('invalid UTF-8 names its line', async () => {
    const file = join(dir, 'latin1.md');
    writeFileSync(file, Buffer.concat([Buffer.from('# T\n\n## A\n'), Buffer.from('caf\xe9\n', 'latin1')]));
    await assert.rejects(readSource(file), (err: unknown) => err instanceof SourceError && err.line === 4 && /UTF-8/.test(err.message));
  });

  it('UTF-8 text with a byte order mark reads as text', async () => {
    const file = join(dir, 'bom.md');
    writeFileSync(file, '\ufeff# T\n\n## A: Café ✓\nDo it.\n');
    assert.equal(await readSource(file), '# T\n\n## A: Café ✓\nDo it.\n');
  });
});
