/**
 * The presets' output readers against recorded real outputs (test/fixtures/agents/): Claude Code 2.1.197,
 * Codex 0.171.0 and Gemini CLI 0.61.0 recorded against the scripted model servers; aider's from its
 * documented output (aider is a Python package this machine cannot install, so no real run is recorded).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AgentError, type AgentResult } from '../src/agents/agent-backend.js';
import { classifyAgentMessage, resetTimeIn } from '../src/agents/agent-errors.js';
import { aiderOutput } from '../src/agents/aider-output.js';
import { claudeOutput, deniedInstead } from '../src/agents/claude-output.js';
import { codexOutput } from '../src/agents/codex-output.js';
import type { OutputParser } from '../src/agents/command-agent.js';
import { geminiOutput } from '../src/agents/gemini-output.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', 'agents', name), 'utf8');

/** Feeds stdout line by line, then finishes with the exit code (stderr only reaches the tail, as in runProcess). */
function read(make: () => OutputParser, stdout: string, code: number | null = 0, stderr = ''): AgentResult {
  const parser = make();
  for (const line of stdout.split('\n')) parser.line(line);
  return parser.finish({ code, signal: null, tail: stdout + stderr, stdoutTail: stdout });
}

function readError(make: () => OutputParser, stdout: string, code: number | null = 0, stderr = ''): AgentError {
  try {
    read(make, stdout, code, stderr);
  } catch (err) {
    assert.ok(err instanceof AgentError, String(err));
    return err;
  }
  assert.fail('expected an AgentError');
}

describe('claude stream-json', () => {
  it('keeps the result, cost, tokens, turns, model and session of a real run', () => {
    const r = read(claudeOutput, fixture('claude-edit.jsonl'));
    assert.equal(r.summary, 'Done: wrote the files.');
    assert.equal(r.usage?.costUsd, 0.024450000000000003);
    assert.deepEqual({ ...r.usage, costUsd: undefined, sessionId: undefined }, {
      inputTokens: 3000, outputTokens: 160, cachedInputTokens: 600, turns: 2, model: 'claude-opus-4-8', costUsd: undefined, sessionId: undefined,
    });
    assert.match(r.usage?.sessionId ?? '', /^[0-9a-f-]{36}$/);
  });

  it('401 is auth and 500 is server, from api_error_status (exit 0 and exit 1 alike)', () => {
    const auth = readError(claudeOutput, fixture('claude-401.jsonl'), 1);
    assert.equal(auth.category, 'auth');
    assert.match(auth.message, /401/);
    assert.equal(readError(claudeOutput, fixture('claude-500.jsonl'), 1).category, 'server');
  });

  const result = (over: Record<string, unknown>) =>
    JSON.stringify({ type: 'result', subtype: 'success', is_error: true, api_error_status: null, result: '', num_turns: 1, session_id: 's', total_cost_usd: 0.01, usage: { input_tokens: 5, output_tokens: 1 }, permission_denials: [], ...over });

  it('maps each API status and text to its category', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ api_error_status: 403, result: 'API Error: 403' }, 'auth'],
      [{ api_error_status: 402, result: 'API Error: 402' }, 'quota'],
      [{ api_error_status: 400, result: 'Credit balance is too low' }, 'quota'],
      [{ api_error_status: 429, result: 'API Error: Request rejected (429)' }, 'rate_limit'],
      [{ api_error_status: 529, result: 'Overloaded' }, 'rate_limit'],
      [{ api_error_status: 503, result: 'API Error: 503' }, 'server'],
      [{ result: 'API Error: API returned an empty or malformed response (HTTP 200)' }, 'server'],
      [{ subtype: 'error_max_budget_usd', is_error: false, result: '' }, 'budget'],
    ];
    for (const [over, category] of cases) assert.equal(readError(claudeOutput, result(over)).category, category, JSON.stringify(over));
  });

  it('a rejected rate_limit_event pauses until its reset; "limit reached|epoch" text too', () => {
    const event = JSON.stringify({ type: 'rate_limit_event', rate_limit_info: { status: 'rejected', resetsAt: 1767225600, rateLimitType: 'five_hour' }, session_id: 's' });
    const err = readError(claudeOutput, `${event}\n${result({ api_error_status: 429, result: 'Claude AI usage limit reached' })}`);
    assert.equal(err.category, 'rate_limit');
    assert.equal(err.pausedUntil, 1767225600_000);
    assert.equal(readError(claudeOutput, result({ result: 'Claude AI usage limit reached|1767229200' })).pausedUntil, 1767229200_000);
  });

  it('keeps permission denials; with no change they become a permission failure naming tool and path', () => {
    const denials = [
      { tool_name: 'Bash', tool_use_id: 't1', tool_input: { command: 'npm test' } },
      { tool_name: 'Write', tool_use_id: 't2', tool_input: { file_path: '/w/.git/config', content: 'x' } },
    ];
    const r = read(claudeOutput, result({ is_error: false, result: 'I could not edit', permission_denials: denials }));
    assert.deepEqual(r.data?.permissionDenials, [{ tool: 'Bash', target: 'npm test' }, { tool: 'Write', target: '/w/.git/config' }]);
    const noChange = new AgentError('agent', 'agent made no changes', { data: { noChanges: true } });
    const err = deniedInstead(noChange, r);
    assert.ok(err instanceof AgentError);
    assert.equal(err.category, 'permission');
    assert.match(err.message, /denied: Bash \(npm test\), Write \(\/w\/\.git\/config\)/);
    // Other failures, and no-change without denials, stay as they were.
    const verify = new AgentError('agent', 'verify failed');
    assert.equal(deniedInstead(verify, r), verify);
    assert.equal(deniedInstead(noChange, { data: {} }), noChange);
  });
});

describe('codex exec --json', () => {
  it('keeps the final message, tokens and thread of a real run', () => {
    const r = read(codexOutput, fixture('codex-edit.jsonl'));
    assert.equal(r.summary, 'Done: wrote the files.');
    assert.deepEqual({ ...r.usage, sessionId: undefined }, { inputTokens: 4200, outputTokens: 180, cachedInputTokens: 1400, turns: 1, sessionId: undefined });
    assert.ok(r.usage?.sessionId);
  });

  it('turn.failed decides: 401 is auth, 429 is rate_limit', () => {
    const auth = readError(codexOutput, fixture('codex-401.jsonl'), 1);
    assert.equal(auth.category, 'auth');
    assert.match(auth.message, /401 Unauthorized/);
    assert.equal(readError(codexOutput, fixture('codex-429.jsonl'), 1).category, 'rate_limit');
    const e = (message: string) => `{"type":"thread.started","thread_id":"t"}\n{"type":"turn.failed","error":{"message":${JSON.stringify(message)}}}`;
    assert.equal(readError(codexOutput, e('We’re currently experiencing high demand, which may cause temporary errors.'), 1).category, 'server');
    assert.equal(readError(codexOutput, e('unexpected status 402 Payment Required: out of credits'), 1).category, 'quota');
    assert.equal(readError(codexOutput, e('stream disconnected before completion: scripted failure'), 1).category, 'server');
  });

  it('reconnect notices alone do not fail a turn that completed', () => {
    const out = ['{"type":"thread.started","thread_id":"t"}', '{"type":"error","message":"Reconnecting... 2/5"}', '{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"ok"}}', '{"type":"turn.completed","usage":{"input_tokens":1,"output_tokens":1}}'].join('\n');
    assert.equal(read(codexOutput, out).summary, 'ok');
  });
});

describe('gemini --output-format json', () => {
  it('keeps the response and token stats of a real run', () => {
    const r = read(geminiOutput, fixture('gemini-edit.stdout'), 0, fixture('gemini-edit.stderr'));
    assert.equal(r.summary, 'Done: wrote the files.');
    assert.equal(r.usage?.inputTokens, 3000);
    assert.equal(r.usage?.outputTokens, 140);
    assert.equal(r.usage?.cachedInputTokens, 400);
    assert.equal(r.usage?.model, 'gemini-2.5-pro');
  });

  it('reads the error document from stderr: a real 401 (exit 145) is auth, after one attempt', () => {
    const err = readError(geminiOutput, '', 145, fixture('gemini-401.stderr'));
    assert.equal(err.category, 'auth');
    assert.match(err.message, /UNAUTHENTICATED/);
  });

  it('maps exit codes when there is no document: 41 auth, HTTP status mod 256, plain failure', () => {
    assert.equal(readError(geminiOutput, '', 41).category, 'auth');
    assert.equal(readError(geminiOutput, '', 429 % 256).category, 'rate_limit');
    assert.equal(readError(geminiOutput, '', 500 % 256).category, 'server');
    assert.equal(readError(geminiOutput, '', 1).category, 'agent');
  });
});

describe('aider (documented output; aider exits 0 on API errors)', () => {
  it('an API error with no edit applied fails with its category', () => {
    assert.equal(readError(aiderOutput, fixture('aider-auth-error.txt')).category, 'auth');
    assert.equal(readError(aiderOutput, fixture('aider-rate-limit.txt')).category, 'rate_limit');
    const overloaded = readError(aiderOutput, fixture('aider-overloaded.txt'));
    assert.equal(overloaded.category, 'server');
    assert.match(overloaded.message, /litellm\.InternalServerError/);
  });

  it('an edit applied after a retried error succeeds, with tokens and cost', () => {
    const r = read(aiderOutput, fixture('aider-success.txt'));
    assert.deepEqual(r.usage, { inputTokens: 3400, outputTokens: 85, cachedInputTokens: 1100, costUsd: 0.0081 });
  });

  it('no edit and no error is left to the change check (which finds no change)', () => {
    const r = read(aiderOutput, fixture('aider-no-edit.txt'));
    assert.equal(r.usage?.costUsd, 0.0042);
  });
});

describe('error text', () => {
  it('classifies agent messages', () => {
    assert.equal(classifyAgentMessage('Invalid API key · Please run /login'), 'auth');
    assert.equal(classifyAgentMessage('Your credit balance is too low'), 'quota');
    assert.equal(classifyAgentMessage('exceeded retry limit, last status: 429 Too Many Requests'), 'rate_limit');
    assert.equal(classifyAgentMessage('API Error: 500 boom'), 'server');
    assert.equal(classifyAgentMessage('exception TypeError: fetch failed sending request'), 'network');
    assert.equal(classifyAgentMessage('the model gave up'), 'agent');
  });

  it('finds reset times', () => {
    const now = Date.parse('2026-12-01T10:00:00Z');
    assert.equal(resetTimeIn('usage limit reached|1767225600', now), 1767225600_000);
    assert.equal(resetTimeIn('5-hour limit reached ∙ resets at 2026-12-01T15:00:00Z', now), Date.parse('2026-12-01T15:00:00Z'));
    assert.equal(resetTimeIn('limit reached · resets 3pm (UTC)', now), Date.parse('2026-12-01T15:00:00Z'));
    assert.equal(resetTimeIn('limit reached · resets 9am (UTC)', now), Date.parse('2026-12-02T09:00:00Z'));
    assert.equal(resetTimeIn("You've hit your usage limit. Try again in 2 hours.", now), now + 2 * 3600_000);
    assert.equal(resetTimeIn("You've hit your usage limit. Try again at 3:05 PM (UTC).", now), Date.parse('2026-12-01T15:05:00Z'));
    assert.equal(resetTimeIn('something else', now), undefined);
  });
});
