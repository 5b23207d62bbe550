import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { defaultConfig, splitCommandLine } from '../src/config/config-schema.js';
import { loadConfig } from '../src/config/load-config.js';
import { InputError, SourceError } from '../src/core/errors.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weft-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const write = (name: string, text: string) => writeFile(join(dir, name), text);

/** Loads and expects an InputError; returns its message. */
async function loadError(): Promise<InputError> {
  const err = await loadConfig({ cwd: dir }).then(
    () => assert.fail('expected loadConfig to fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof InputError, `expected InputError, got ${String(err)}`);
  return err;
}

describe('loadConfig', () => {
  it('uses the defaults when there is no config file', async () => {
    const { config, path } = await loadConfig({ cwd: dir });
    assert.equal(path, null);
    assert.deepEqual(config, defaultConfig());
    assert.equal(config.concurrency, 4);
    assert.equal(config.maxAttempts, 3);
    assert.deepEqual(config.pr.labels, ['weft']);
    assert.equal(config.server.host, '127.0.0.1');
    assert.equal(config.server.port, 7077);
  });

  it('reads weft.config.yaml and keeps defaults for keys it leaves out', async () => {
    await write('weft.config.yaml', 'agent: claude\nconcurrency: 8\nretry:\n  baseMs: 500\npr:\n  enabled: true\n');
    const { config, path } = await loadConfig({ cwd: dir });
    assert.equal(path, join(dir, 'weft.config.yaml'));
    assert.equal(config.agent, 'claude');
    assert.equal(config.concurrency, 8);
    assert.deepEqual(config.retry, { baseMs: 500, maxMs: 60000, multiplier: 2 });
    assert.equal(config.pr.enabled, true);
    assert.equal(config.pr.draft, false);
  });

  it('reads .yml and .json files too', async () => {
    await write('weft.config.json', '{ "maxAttempts": 5, "server": { "port": 9000 } }');
    const { config } = await loadConfig({ cwd: dir });
    assert.equal(config.maxAttempts, 5);
    assert.equal(config.server.port, 9000);
    await rm(join(dir, 'weft.config.json'));
    await write('weft.config.yml', 'timeoutMinutes: 5');
    assert.equal((await loadConfig({ cwd: dir })).config.timeoutMinutes, 5);
  });

  it('treats an empty file and sections with every key commented out as defaults', async () => {
    await write('weft.config.yaml', '# nothing yet\nprompt:\n  # maxChars: 1000\ngit:\n');
    const { config } = await loadConfig({ cwd: dir });
    assert.deepEqual(config, defaultConfig());
  });

  it('names the file and key of a bad value, with the value given', async () => {
    await write('weft.config.yaml', 'concurrency: abc\n');
    const err = await loadError();
    assert.equal(err.message, 'weft.config.yaml: concurrency: expected a whole number >= 1, got "abc"');
    assert.equal(err.details?.key, 'concurrency');
    assert.equal(err.details?.line, 1);
  });

  it('names nested keys with a dotted path and reports every problem', async () => {
    await write('weft.config.yaml', 'maxAttempts: 0\nserver:\n  port: 70000\npr:\n  labels: [ok, 3]\n');
    const { message } = await loadError();
    const lines = message.split('\n');
    assert.deepEqual(lines, [
      'weft.config.yaml: maxAttempts: expected a whole number >= 1, got 0',
      'weft.config.yaml: server.port: expected a whole number from 0 to 65535, got 70000',
      'weft.config.yaml: pr.labels[1]: expected non-empty text, got 3',
    ]);
  });

  it('rejects unknown keys, naming them and the keys it knows', async () => {
    await write('weft.config.yaml', 'concurency: 2\ngit:\n  branchPrefx: x/\n');
    const { message } = await loadError();
    assert.match(message, /^weft\.config\.yaml: concurency: unknown key \(known keys: agent, concurrency,/m);
    assert.match(message, /^weft\.config\.yaml: git\.branchPrefx: unknown key \(known keys: baseBranch, branchPrefix, remote, worktreesDir\)$/m);
  });

  it('rejects an unknown task type in routing', async () => {
    await write('weft.config.yaml', 'routing:\n  - type: featur\n    agent: claude\n');
    const { message } = await loadError();
    assert.match(message, /^weft\.config\.yaml: routing\[0\]\.type: expected one of feature, bug_fix, .*got "featur"$/);
  });

  it('checks rules that span keys', async () => {
    await write('weft.config.yaml', 'retry: { baseMs: 5000, maxMs: 1000 }\nrouting:\n  - { type: docs, agent: a }\n  - { type: docs, agent: b }\n');
    const { message } = await loadError();
    assert.match(message, /weft\.config\.yaml: retry\.maxMs: must be >= retry\.baseMs \(5000\), got 1000/);
    assert.match(message, /weft\.config\.yaml: routing\[1\]: duplicates routing\[0\] for docs/);
  });

  it('reports YAML syntax errors with the line number', async () => {
    await write('weft.config.yaml', 'concurrency: 2\nagents:\n  a: [1\nmaxAttempts: 3\n');
    const err = await loadError();
    assert.ok(err instanceof SourceError);
    assert.match(err.message, /^weft\.config\.yaml:\d+: invalid YAML: /);
    assert.ok(err.line >= 3, `line ${err.line}`);
  });

  it('reports duplicate keys', async () => {
    await write('weft.config.yaml', 'concurrency: 2\nconcurrency: 3\n');
    const err = await loadError();
    assert.match(err.message, /^weft\.config\.yaml:2: invalid YAML: .*unique/);
  });

  it('rejects a file that is not a mapping', async () => {
    await write('weft.config.yaml', '- concurrency: 2\n');
    assert.match((await loadError()).message, /weft\.config\.yaml: expected a mapping of config keys/);
  });

  it('splits agent command lines into argv and stringifies env values', async () => {
    await write('weft.config.yaml', 'agents:\n  aider:\n    command: aider --yes --message-file "my prompt.md"\n    env: { DEBUG: 1, VERBOSE: true }\n  mine:\n    command: [./agent.sh, --fast]\n');
    const { config } = await loadConfig({ cwd: dir });
    assert.deepEqual(config.agents.aider, { command: ['aider', '--yes', '--message-file', 'my prompt.md'], env: { DEBUG: '1', VERBOSE: 'true' } });
    assert.deepEqual(config.agents.mine, { command: ['./agent.sh', '--fast'] });
  });

  it('resolves relative paths against the config file, leaving URLs alone', async () => {
    await write('weft.config.yaml', 'db: .weft/runs.db\nprompt:\n  templates: prompts\n');
    const { config } = await loadConfig({ cwd: dir });
    assert.equal(config.db, join(dir, '.weft/runs.db'));
    assert.equal(config.prompt.templates, join(dir, 'prompts'));
    await write('weft.config.yaml', 'db: postgres://weft@localhost/weft\n');
    assert.equal((await loadConfig({ cwd: dir })).config.db, 'postgres://weft@localhost/weft');
  });

  it('loads an explicit path and names it when missing', async () => {
    await write('custom.yaml', 'concurrency: 2\n');
    assert.equal((await loadConfig({ cwd: dir, path: 'custom.yaml' })).config.concurrency, 2);
    await assert.rejects(loadConfig({ cwd: dir, path: 'nope.yaml' }), (err: unknown) => {
      assert.ok(err instanceof InputError);
      assert.equal(err.message, 'nope.yaml: file not found');
      return true;
    });
  });

  it('refuses two config files that would shadow each other', async () => {
    await write('weft.config.yaml', 'concurrency: 2\n');
    await write('weft.config.json', '{}');
    assert.match((await loadError()).message, /weft\.config\.yaml and weft\.config\.json both exist/);
  });
});

describe('splitCommandLine', () => {
  it('splits like a shell without running one', () => {
    assert.deepEqual(splitCommandLine(`claude -p 'a b' "c \\"d\\"" e\\ f`), ['claude', '-p', 'a b', 'c "d"', 'e f']);
    assert.deepEqual(splitCommandLine('a "" b'), ['a', '', 'b']);
    assert.equal(splitCommandLine('a "b'), null);
  });
});
