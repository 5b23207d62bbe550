/**
 * What an interface task delivers (seed 001's interface-first development): the interface file, a mock
 * implementation and contract documents, committed before the tasks that build on them start.
 */
import { posix } from 'node:path';
import type { TaskSpec } from '../core/task.js';
import { slugify } from './slug.js';

/** `UserService` -> `user-service`. */
export function componentSlug(name: string): string {
  return slugify(name.replace(/([a-z0-9])([A-Z])/g, '$1 $2'));
}

/** Where contract documents of a component go. */
export function contractsDir(name: string): string {
  return `docs/contracts/${componentSlug(name)}`;
}

/** The mock's path next to the interface: `src/x/user.ts` -> `src/x/user.mock.ts`. */
export function mockPath(interfacePath: string): string {
  const ext = posix.extname(interfacePath);
  return ext ? `${interfacePath.slice(0, -ext.length)}.mock${ext}` : `${interfacePath}.mock`;
}

/** The deliverables paragraph, files and criteria of an interface task for component `name`. */
export function interfaceDeliverables(name: string, interfacePath: string | undefined) {
  const docs = contractsDir(name);
  const lines = [
    `Deliver, in this worktree (dependents start from these files as soon as this task is integrated):`,
    `1. The interface${interfacePath ? `: \`${interfacePath}\`` : ''} — types, function signatures, error cases and invariants, each with a doc comment stating the contract.`,
    `2. A mock implementation${interfacePath ? `: \`${mockPath(interfacePath)}\`` : ''} — in memory, deterministic, honouring the contract, so dependents can develop and test against it now.`,
    `3. Contract documents in \`${docs}/\`: \`validation.md\` (validation rules for every input and the error each violation gives), \`data-formats.md\` with \`schema.json\` (JSON Schema of every data shape), and \`openapi.yaml\` (OpenAPI 3) when ${name} is reached over HTTP.`,
    `4. Tests that pin the contract against the mock.`,
  ];
  return {
    text: lines.join('\n'),
    files: [...(interfacePath ? [interfacePath, mockPath(interfacePath)] : []), `${docs}/**`],
    acceptanceCriteria: [
      `The public interface of ${name} is defined and documented`,
      'A mock implementation lets dependents compile and test',
      `Validation rules, data formats (JSON Schema) and, for an API, an OpenAPI contract are in ${docs}/`,
    ],
  };
}

/** The task `weft generate-interface --name --description` runs. */
export function interfaceTask(input: { name: string; description: string; path?: string }): TaskSpec {
  const path = input.path ?? `src/interfaces/${componentSlug(input.name)}.ts`;
  const d = interfaceDeliverables(input.name, path);
  const id = `interface-${componentSlug(input.name)}`;
  return {
    id,
    title: `Define the interface of ${input.name}`,
    description: `${input.description.trim()}\n\n${d.text}`,
    type: 'interface',
    typeReason: 'weft generate-interface',
    priority: 'high',
    status: 'pending',
    dependsOn: [],
    estimateMinutes: 60,
    files: d.files,
    acceptanceCriteria: d.acceptanceCriteria,
    requirementId: id,
    requirementTitle: `Define the interface of ${input.name}`,
    source: { file: 'generate-interface', line: 1 },
  };
}
