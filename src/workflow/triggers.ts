/**
 * `on:` triggers: which GitHub deliveries start a workflow (pure matching), and handling one delivery:
 * recorded by its `X-GitHub-Delivery` id first, so a redelivery starts nothing, then one run per
 * matching workflow; `wait: { event }` steps waiting for `github.<event>` complete too.
 */
import picomatch from 'picomatch';
import type { Json } from '../store/records.js';
import type { Triggers, WorkflowDef } from './definition.js';
import type { Workflows } from './workflows.js';

type Payload = { [key: string]: Json };

const obj = (v: Json | undefined): Payload => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});
const str = (v: Json | undefined): string => (typeof v === 'string' ? v : '');

function branchMatches(patterns: string[] | undefined, branch: string): boolean {
  return !patterns || patterns.length === 0 || patterns.some((p) => picomatch.isMatch(branch, p));
}

/** Whether a GitHub event (name + payload) fires these triggers. */
export function matchesGithubEvent(on: Triggers | undefined, event: string, payload: Payload): boolean {
  if (!on) return false;
  switch (event) {
    case 'push': {
      if (on.push === undefined) return false;
      const ref = str(payload.ref);
      if (!ref.startsWith('refs/heads/') || payload.deleted === true) return false;
      return branchMatches(on.push?.branches, ref.slice('refs/heads/'.length));
    }
    case 'pull_request': {
      if (on.pull_request === undefined) return false;
      const f = on.pull_request;
      if (f?.actions?.length && !f.actions.includes(str(payload.action))) return false;
      return branchMatches(f?.branches, str(obj(obj(payload.pull_request).base).ref));
    }
    case 'issues': {
      if (on.issues === undefined) return false;
      const f = on.issues;
      const action = str(payload.action);
      if (f?.actions?.length ? !f.actions.includes(action) : f?.labels?.length ? action !== 'labeled' : false) return false;
      if (f?.labels?.length) return f.labels.includes(str(obj(payload.label).name));
      return true;
    }
    case 'issue_comment': {
      if (on.issue_comment === undefined) return false;
      if (str(payload.action) !== 'created') return false;
      const prefix = on.issue_comment?.prefix;
      return !prefix || str(obj(payload.comment).body).trimStart().startsWith(prefix);
    }
    default:
      return false;
  }
}

/** The inputs a triggered run gets: `event`, `ref`/`branch`/`sha`, the PR or issue number, the comment's text after the prefix. */
export function triggerInputs(def: WorkflowDef, event: string, payload: Payload): { [key: string]: Json } {
  const declared = def.inputs ?? {};
  const facts: { [key: string]: Json } = {
    event,
    action: str(payload.action) || null,
    ref: str(payload.ref) || null,
    branch: str(payload.ref).replace(/^refs\/heads\//, '') || str(obj(obj(payload.pull_request).head).ref) || null,
    sha: str(payload.after) || str(obj(obj(payload.pull_request).head).sha) || null,
    number: (obj(payload.pull_request).number ?? obj(payload.issue).number ?? null) as Json,
    comment: on(def).issue_comment?.prefix ? str(obj(payload.comment).body).trimStart().slice(on(def).issue_comment!.prefix!.length).trim() : str(obj(payload.comment).body) || null,
    repository: str(obj(payload.repository).full_name) || null,
  };
  // Only inputs the workflow declares (others would be refused); values of the declared type.
  return Object.fromEntries(Object.entries(facts).filter(([k, v]) => k in declared && v !== null && (declared[k]!.type === 'number' ? typeof v === 'number' : typeof v === 'string' || declared[k]!.type !== 'string')));
}

function on(def: WorkflowDef): Triggers {
  return def.on ?? {};
}

/** Handles one verified delivery; `duplicate` when this delivery id was seen before (nothing starts). */
export async function handleGithubDelivery(workflows: Workflows, event: string, payload: Payload, deliveryId: string | undefined): Promise<{ duplicate: boolean; runIds: string[]; completed: string[] }> {
  const wf = workflows.store.workflows;
  if (deliveryId && !(await wf.recordDelivery(deliveryId, event, Date.now()))) return { duplicate: true, runIds: [], completed: [] };
  const runIds: string[] = [];
  for (const w of await workflows.list()) {
    const def = w.definition as unknown as WorkflowDef;
    if (!matchesGithubEvent(def.on, event, payload)) continue;
    const run = await workflows.startDef(def, {
      workflowId: w.id,
      inputs: triggerInputs(def, event, payload),
      trigger: { kind: 'webhook', event, delivery: deliveryId ?? '', action: str(payload.action) || null },
    });
    runIds.push(run.id);
  }
  const completed = await workflows.deliverEvent(`github.${event}`, payload);
  if (deliveryId) await wf.setDeliveryRuns(deliveryId, runIds);
  return { duplicate: false, runIds, completed };
}
