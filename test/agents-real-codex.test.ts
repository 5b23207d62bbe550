/** The conformance suite (test/helpers/real-agent-suite.ts) against the real Codex CLI and an OpenAI Responses stand-in. */
import { startOpenAiServer } from './helpers/model-servers/openai-responses.js';
import { conformanceSuite } from './helpers/real-agent-suite.js';

conformanceSuite({
  name: 'codex',
  start: startOpenAiServer,
  // The README's environment: OPENAI_BASE_URL (weft turns it into a model provider) + OPENAI_API_KEY.
  env: (url, home) => ({ HOME: home, OPENAI_BASE_URL: `${url}/v1`, OPENAI_API_KEY: 'sk-scripted' }),
  // Codex's retry counts are provider settings (no environment knob), set on top of the provider weft derives.
  extraArgs: ['-c', 'model_providers.weft-openai.request_max_retries=0', '-c', 'model_providers.weft-openai.stream_max_retries=0'],
  skips: { 'tool-denied': 'codex runs shell commands inside its sandbox and reports no denials (a failed write is a failed command)' },
});
