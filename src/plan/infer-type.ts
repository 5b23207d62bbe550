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

/**
 * Any rule word standing as a whole word: a word is a run of letters, digits, `/`, `_` and `-` that
 * starts with a letter or digit. One regex scan finds the few rule words in a text, about twice as
 * fast as splitting every word out and looking each one up.
 */
const RULE_WORD = new RegExp(
  `(?<![a-z0-9][a-z0-9/_-]*)(?:${[...new Set(RULES.flatMap((r) => r.words))]
    .sort((a, b) => b.length - a.length)
    .map((w) => w.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'))
    .join('|')})(?![a-z0-9/_-])`,
  'gi',
);

/** Every rule word -> [rule index, position in the rule], so a text is scanned once rather than once per word. */
const WORD_RULES = new Map<string, Array<[number, number]>>();
RULES.forEach((rule, r) => rule.words.forEach((w, k) => WORD_RULES.set(w, [...(WORD_RULES.get(w) ?? []), [r, k]])));

interface Hit {
  rule: number;
  pos: number;
  word: string;
  inTitle: boolean;
}

// Scratch space reused by every call: inference runs once per requirement, 100k times in a big plan.
const scores = new Float64Array(RULES.length);

/** Adds `weight` per occurrence of each rule word in `text` to `scores`; records which words hit (and whether in the title). */
function scoreWords(text: string, weight: number, hits: Hit[]): void {
  RULE_WORD.lastIndex = 0;
  for (let m = RULE_WORD.exec(text); m !== null; m = RULE_WORD.exec(text)) {
    const word = m[0].toLowerCase();
    const rules = WORD_RULES.get(word);
    if (rules === undefined) continue;
    for (const [r, pos] of rules) {
      scores[r] = scores[r]! + weight;
      const hit = hits.find((h) => h.rule === r && h.pos === pos);
      if (hit === undefined) hits.push({ rule: r, pos, word, inTitle: weight > 1 });
      else if (weight > 1) hit.inTitle = true;
    }
  }
}

/** Infers a type from a title (weighted 3) and a description (weighted 1), with the reason. */
export function inferType(title: string, description: string): { type: TaskType; reason: string } {
  scores.fill(0);
  const hits: Hit[] = [];
  scoreWords(title, 3, hits);
  scoreWords(description, 1, hits);
  // The first rule with the highest score wins, as RULES lists them in tie-break order.
  let best = -1;
  for (let r = 0; r < RULES.length; r++) if (scores[r]! > 0 && (best < 0 || scores[r]! > scores[best]!)) best = r;
  if (best < 0) return { type: 'feature', reason: 'inferred: no bug-fix, deployment, test, docs, refactor or interface words, so feature' };
  const shown = hits
    .filter((h) => h.rule === best)
    .sort((a, b) => a.pos - b.pos)
    .slice(0, 4)
    .map((h) => (h.inTitle ? `"${h.word}" in the title` : `"${h.word}"`));
  return { type: RULES[best]!.type, reason: `inferred from ${shown.join(', ')}` };
}

export { TASK_TYPES };
