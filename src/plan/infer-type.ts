/** Task type: explicit `Type:` values (with aliases) or inference from the words of the text. */
import { TASK_TYPES, type TaskType } from '../core/task.js';

const ALIASES: Readonly<Record<string, TaskType>> = {
  feature: 'feature', feat: 'feature', implementation: 'feature', enhancement: 'feature', story: 'feature',
  bug_fix: 'bug_fix', bugfix: 'bug_fix', bug: 'bug_fix', fix: 'bug_fix', hotfix: 'bug_fix',
  refactor: 'refactor', refactoring: 'refactor', cleanup: 'refactor', chore: 'refactor',
  docs: 'docs', doc: 'docs', documentation: 'docs',
  test: 'test', tests: 'test', testing: 'test',
  deployment: 'deployment', deploy: 'deployment', infra: 'deployment', infrastructure: 'deployment', ops: 'deployment',
  interface: 'interface', contract: 'interface', api: 'interface',
};

/** The task type a `Type:` value names, or undefined when it names none. */
export function normalizeType(value: string): TaskType | undefined {
  const key = value.trim().toLowerCase().replace(/[\s-]+/g, '_');
  return ALIASES[key] ?? ALIASES[key.replace(/_/g, '')];
}

/** Keyword rules, in tie-break order. Seed 000's deployment detection is the `deployment` rule. */
const RULES: ReadonlyArray<{ type: TaskType; words: string[] }> = [
  { type: 'bug_fix', words: ['fix', 'fixes', 'fixed', 'bug', 'bugs', 'crash', 'crashes', 'broken', 'regression', 'incorrect', 'incorrectly', 'wrong', 'error', 'errors', 'fails', 'failing', 'defect', 'exception', 'leak', 'hotfix', 'repair'] },
  { type: 'deployment', words: ['deploy', 'deploys', 'deployment', 'deployments', 'release', 'rollout', 'ci/cd', 'pipeline', 'docker', 'dockerfile', 'container', 'kubernetes', 'k8s', 'helm', 'terraform', 'ansible', 'infrastructure', 'provision', 'provisioning', 'staging', 'production', 'aws', 'gcp', 'azure', 'heroku', 'vercel', 'netlify', 'ec2', 'lambda', 'cloudformation', 'nginx', 'hosting'] },
  { type: 'test', words: ['test', 'tests', 'testing', 'e2e', 'coverage', 'unit-test', 'unit-tests', 'integration-tests', 'spec', 'specs', 'fixture', 'fixtures'] },
  { type: 'docs', words: ['document', 'documentation', 'docs', 'readme', 'guide', 'tutorial', 'changelog', 'docstring', 'docstrings', 'jsdoc', 'manual'] },
  { type: 'refactor', words: ['refactor', 'refactoring', 'restructure', 'reorganize', 'cleanup', 'clean-up', 'simplify', 'extract', 'rename', 'deduplicate', 'decouple', 'modularize', 'tidy'] },
  { type: 'interface', words: ['interface', 'interfaces', 'contract', 'contracts', 'schema', 'schemas', 'protocol', 'openapi', 'typings', 'stub', 'stubs'] },
  // Feature words compete too, so one stray "error" in a feature's prose does not make it a bug fix.
  { type: 'feature', words: ['add', 'adds', 'implement', 'implements', 'create', 'build', 'support', 'new', 'allow', 'allows', 'enable', 'introduce', 'feature'] },
];

const WORD = /[a-z0-9][a-z0-9/_-]*/g;

function countWords(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const w of text.toLowerCase().match(WORD) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

/** Infers a type from a title (weighted 3) and a description (weighted 1), with the reason. */
export function inferType(title: string, description: string): { type: TaskType; reason: string } {
  const inTitle = countWords(title);
  const inBody = countWords(description);
  let best: { type: TaskType; score: number; hits: string[] } | undefined;
  for (const rule of RULES) {
    let score = 0;
    const hits: string[] = [];
    for (const w of rule.words) {
      const t = inTitle.get(w) ?? 0;
      const b = inBody.get(w) ?? 0;
      if (t + b === 0) continue;
      score += 3 * t + b;
      hits.push(t > 0 ? `"${w}" in the title` : `"${w}"`);
    }
    if (score > 0 && (!best || score > best.score)) best = { type: rule.type, score, hits };
  }
  if (!best) return { type: 'feature', reason: 'inferred: no bug-fix, deployment, test, docs, refactor or interface words, so feature' };
  return { type: best.type, reason: `inferred from ${best.hits.slice(0, 4).join(', ')}` };
}

export { TASK_TYPES };
