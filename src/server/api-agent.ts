/**
 * Which agents an API caller may name. A command line would let anyone holding an operator token run
 * any program on the server, so the API accepts only simulate, codegen, presets and agents the
 * server's owner named in weft.config.yaml.
 */
import { resolveAgentSpec } from '../agents/create-agent.js';
import { isPresetName } from '../agents/presets.js';
import type { WeftConfig } from '../config/config-schema.js';
import { InputError } from '../core/errors.js';

/** Throws InputError naming `field` unless `spec` is an agent the API may start. */
export function assertApiAgent(spec: string, config: WeftConfig, field: string): void {
  const name = spec.trim();
  let resolved;
  try {
    resolved = resolveAgentSpec(name, config);
  } catch (err) {
    throw new InputError(`${field}: ${(err as Error).message}`, { field });
  }
  if (resolved.kind !== 'command' || Object.hasOwn(config.agents, name) || isPresetName(name)) return;
  const configured = Object.keys(config.agents);
  throw new InputError(
    `${field}: ${JSON.stringify(name)} is not an agent the API can start: use simulate, codegen, a preset (claude, codex, aider, gemini, example)${
      configured.length ? ` or a configured agent (${configured.join(', ')})` : ' or an agent named in weft.config.yaml'
    }; command lines are accepted only on the command line`,
    { field, agent: name },
  );
}
