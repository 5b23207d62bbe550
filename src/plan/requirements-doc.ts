/** The parsed shape of REQUIREMENTS.md, before it becomes tasks. */

/** A metadata value with the line it came from. */
export interface MetaValue {
  value: string;
  line: number;
}

export const META_KEYS = ['type', 'priority', 'depends on', 'files', 'estimate', 'agent'] as const;
export type MetaKey = (typeof META_KEYS)[number];

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
