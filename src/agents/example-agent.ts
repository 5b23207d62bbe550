/** The bundled EXAMPLE agent (no AI): a small node script that writes deterministic files, to show the pipeline end to end. */
import { fileURLToPath } from 'node:url';

// src/agents and dist/agents sit at the same depth, so one relative URL serves both the source and the build.
/** Absolute path of the example agent script. */
export const EXAMPLE_AGENT_SCRIPT = fileURLToPath(new URL('../../examples/agent/example-agent.mjs', import.meta.url));

/** The argv that runs the example agent with the node running weft (no reliance on `node` being on PATH). */
export function exampleAgentArgv(): string[] {
  return [process.execPath, EXAMPLE_AGENT_SCRIPT];
}
