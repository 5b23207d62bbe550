/** Deterministic synthetic REQUIREMENTS.md documents for benchmarks and scale tests. */

/** A small seeded PRNG (mulberry32), so generated documents are repeatable. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GenerateOptions {
  /** Approximate number of tasks. */
  tasks: number;
  /** Checklist items per requirement (0 = one task per requirement). */
  itemsPerRequirement?: number;
  /** Max dependencies per requirement, on earlier requirements only (so the graph is acyclic). */
  maxDeps?: number;
  /** How far back a dependency may reach, in requirements; small windows make long chains. */
  window?: number;
  seed?: number;
}

/** Generates a valid requirements document with a layered random DAG. */
export function generateRequirements(options: GenerateOptions): string {
  const rand = seededRandom(options.seed ?? 42);
  const items = options.itemsPerRequirement ?? 0;
  const maxDeps = options.maxDeps ?? 3;
  const window = options.window ?? 50;
  const perReq = Math.max(1, items);
  const reqCount = Math.ceil(options.tasks / perReq);
  const priorities = ['critical', 'high', 'medium', 'low'];
  const out: string[] = ['# Generated project', '', `A synthetic project with about ${options.tasks} tasks.`, ''];
  for (let r = 0; r < reqCount; r++) {
    out.push(`## R${r}: Requirement number ${r}`);
    out.push(`Priority: ${priorities[Math.floor(rand() * 4)]}`);
    out.push(`Estimate: ${15 + Math.floor(rand() * 8) * 15}m`);
    const deps = new Set<string>();
    const n = r === 0 ? 0 : Math.floor(rand() * (maxDeps + 1));
    for (let k = 0; k < n; k++) deps.add(`R${Math.max(0, r - 1 - Math.floor(rand() * Math.min(window, r)))}`);
    if (deps.size) out.push(`Depends on: ${[...deps].join(', ')}`);
    out.push('', `Build part ${r} of the system so that later parts can use it.`, '');
    for (let k = 0; k < items; k++) out.push(`- [${rand() < 0.05 ? 'x' : ' '}] Step ${k + 1} of requirement ${r}`);
    if (items) out.push('');
  }
  return out.join('\n');
}
