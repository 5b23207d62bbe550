/** The conformance suite (test/helpers/real-agent-suite.ts) against the real Claude Code CLI and an Anthropic Messages stand-in. */
import { startAnthropicServer } from './helpers/model-servers/anthropic.js';
import { conformanceSuite } from './helpers/real-agent-suite.js';

conformanceSuite({
  name: 'claude',
  start: startAnthropicServer,
  // The README's environment (ANTHROPIC_BASE_URL + ANTHROPIC_API_KEY); no retries of its own, no telemetry.
  env: (url, home) => ({
    HOME: home,
    ANTHROPIC_BASE_URL: url,
    ANTHROPIC_API_KEY: 'sk-ant-scripted',
    CLAUDE_CODE_MAX_RETRIES: '0',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  }),
});
