/** The parsed shape of REQUIREMENTS.md, before it becomes tasks. */

/** A metadata value with the line it came from. */
export interface MetaValue {
  value: string;
  line: number;
}

/**
 * The metadata keys a requirement may have, as `Key: value` lines right under its heading: the one
 * table the parser, its errors (did-you-mean) and the docs use. `key` is the lower-case form matched
 * (hyphens and runs of spaces read as one space); `aliases` are words people write for it, which are
 * an error that names the key meant. Add a key here and read it from `RequirementSection.meta`.
 */
export const META_KEY_TABLE = [
  { key: 'type', label: 'Type', aliases: ['kind', 'task type'] },
  { key: 'priority', label: 'Priority', aliases: ['prio', 'importance'] },
  {
    key: 'depends on',
    label: 'Depends on',
    aliases: ['dependencies', 'dependency', 'depends', 'depend on', 'requires', 'required', 'after', 'blocked by', 'needs', 'prerequisites', 'deps'],
  },
  { key: 'files', label: 'Files', aliases: ['file', 'paths'] },
  { key: 'estimate', label: 'Estimate', aliases: ['effort', 'duration', 'time', 'size'] },
  { key: 'agent', label: 'Agent', aliases: ['backend', 'model'] },
  // The task's own quality gate; overrides the run's --verify (see core/task-verify.ts).
  { key: 'verify', label: 'Verify', aliases: ['check', 'test command', 'verify command', 'gate'] },
] as const;

/** Every known metadata key, lower case. */
export const META_KEYS = META_KEY_TABLE.map((k) => k.key);
export type MetaKey = (typeof META_KEY_TABLE)[number]['key'];

export interface ChecklistItem {
  text: string;
  done: boolean;
  /** Own estimate from a trailing `(90m)`. */
  estimateMinutes?: number;
  line: number;
}

export interface RequirementSection {
  /** Id from `## ID: Title`, or the title's slug. */
  id: string;
  title: string;
  line: number;
  meta: Partial<Record<MetaKey, MetaValue>>;
  description: string;
  acceptanceCriteria: string[];
  items: ChecklistItem[];
}

export interface RequirementsDoc {
  file: string;
  title: string;
  context: string;
  requirements: RequirementSection[];
}
