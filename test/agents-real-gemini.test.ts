/** The conformance suite (test/helpers/real-agent-suite.ts) against the real Gemini CLI and a Gemini API stand-in. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGeminiServer } from './helpers/model-servers/gemini.js';
import { conformanceSuite } from './helpers/real-agent-suite.js';

conformanceSuite({
  name: 'gemini',
  start: startGeminiServer,
  // The README's environment (GEMINI_API_KEY + GOOGLE_GEMINI_BASE_URL); no relaunch into a child process (half the start-up time).
  env: (url, home) => ({ HOME: home, GEMINI_API_KEY: 'scripted-key', GOOGLE_GEMINI_BASE_URL: url, GEMINI_CLI_NO_RELAUNCH: 'true' }),
  // Gemini CLI takes several seconds to start on a busy machine.
  hangTimeoutMinutes: 0.6,
  skips: { 'tool-denied': "gemini's JSON output has no list of denied tool calls (a tool it may not run is left out of the request)" },
  // One try per request, and a fixed model (the default "auto" first asks a classifier model which one to use).
  prepareHome: (home) => {
    mkdirSync(join(home, '.gemini'), { recursive: true });
    writeFileSync(join(home, '.gemini', 'settings.json'), JSON.stringify({ general: { maxAttempts: 1 }, model: { name: 'gemini-2.5-pro' }, privacy: { usageStatisticsEnabled: false } }));
  },
});
