/**
 * `wait:` kinds the executor claims: a duration or a time (the planner stored the deadline as the
 * step's notBefore, so being claimed means it is over), a pull request's merge and other runs' end
 * (polled). Approvals and events are `waiting` steps that the API, the CLI or a webhook completes.
 */
import type { Store } from '../../store/store.js';
import { evaluate } from '../expressions.js';
import { StepError, type StepRunner } from '../step-runner.js';

const POLL_MS = 2000;

/** The `wait` step runner. */
export function waitStep(store: Store): StepRunner {
  return async (ctx) => {
    const w = ctx.step.wait!;
    if (w.duration !== undefined || w.until !== undefined) {
      const until = typeof ctx.state.until === 'number' ? ctx.state.until : Date.now();
      if (Date.now() < until) return { kind: 'poll', notBefore: until };
      return { kind: 'done', output: { waitedUntil: new Date(until).toISOString() } };
    }
    if (w.pr !== undefined) {
      const ref = /^\s*\$\{\{/.test(w.pr) ? evaluate(w.pr.replace(/^\s*\$\{\{\s*|\s*\}\}\s*$/g, ''), ctx.expr) : w.pr;
      const prs = await store.listPullRequests({});
      const pr = prs.find((p) => p.url === ref || String(p.number) === String(ref) || p.head === ref);
      if (!pr) throw new StepError('validation', `wait.pr: no tracked pull request ${JSON.stringify(ref ?? null)}`);
      if (pr.state === 'merged') return { kind: 'done', output: { url: pr.url, number: pr.number, state: pr.state } };
      if (pr.state === 'closed') throw new StepError('validation', `pull request ${pr.url} was closed without merging`);
      return { kind: 'poll', notBefore: Date.now() + POLL_MS };
    }
    if (w.runs !== undefined) {
      const out: { [id: string]: string } = {};
      for (const id of w.runs) {
        const run = await store.workflows.getWorkflowRun(id);
        if (!run) throw new StepError('validation', `wait.runs: no workflow run ${id}`);
        if (run.status === 'pending' || run.status === 'running') return { kind: 'poll', notBefore: Date.now() + POLL_MS };
        if (run.status !== 'succeeded') throw new StepError('validation', `dependency ${id} ${run.status}`);
        out[id] = run.status;
      }
      return { kind: 'done', output: out };
    }
    throw new StepError('validation', 'this wait is completed from outside (approval or event)');
  };
}
