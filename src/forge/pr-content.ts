/** PR titles, bodies and commit messages from the Liquid templates in `templates/pr/` (a user's `<templates>/pr/` overrides them). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskSpec } from '../core/task.js';
import { createTemplateLoader, findPackageRoot, type TemplateLoader } from '../prompt/template-loader.js';

export interface PrTaskVariables {
  task: TaskSpec;
  run: { id: string; title: string };
  base: string;
  agent: string;
  dependencies: { id: string; title: string; prUrl: string | null; prState: string | null }[];
  attempts: { number: number; status: string; error: string | null }[];
  verify: { command: string | null; passed: boolean };
  summary: string | null;
  filesChanged: string[];
}

export interface PrRunVariables {
  run: { id: string; title: string };
  base: string;
  head: string;
  tasks: { id: string; title: string; status: string; prUrl: string | null; prState: string | null }[];
}

/** The bundled PR templates folder. */
export function bundledPrTemplatesDir(): string {
  return join(findPackageRoot(), 'templates', 'pr');
}

/** Renders PR texts; `templatesDir` is the config's `prompt.templates` folder, whose `pr/` subfolder wins. */
export class PrContent {
  readonly #loader: TemplateLoader;

  constructor(templatesDir: string | null = null) {
    const override = templatesDir ? join(templatesDir, 'pr') : null;
    this.#loader = createTemplateLoader({ bundledDir: bundledPrTemplatesDir(), ...(override && existsSync(override) ? { overrideDir: override } : {}) });
  }

  /** Title and body of a task's PR. */
  async task(v: PrTaskVariables): Promise<{ title: string; body: string }> {
    const vars = taskVariables(v);
    const title = oneLine(await this.#loader.render('title', vars));
    const body = tidy(await this.#loader.render('body', vars));
    return { title: title || `${v.task.id}: ${v.task.title}`, body };
  }

  /** Title and body of the run's final integration -> base PR. */
  async run(v: PrRunVariables): Promise<{ title: string; body: string }> {
    const vars = {
      run: v.run,
      base: v.base,
      head: v.head,
      tasks: v.tasks.map((t) => ({ id: t.id, title: t.title, status: t.status, pr_url: t.prUrl ?? '', pr_state: t.prState ?? '', pr_link: prLink(t.prUrl, t.prState, `${t.status}, no pull request`) })),
    };
    return { title: oneLine(await this.#loader.render('run-title', vars)), body: tidy(await this.#loader.render('run-body', vars)) };
  }

  /** Commit message for an agent's uncommitted changes (git adds the sign-off trailer when asked). */
  async commit(task: TaskSpec): Promise<string> {
    return tidy(await this.#loader.render('commit', { task: taskVars(task) })) || `${task.id}: ${task.title}`;
  }
}

function taskVars(task: TaskSpec) {
  return {
    id: task.id,
    title: task.title.split('\n')[0]!.trim(),
    description: task.description.trim(),
    type: task.type,
    priority: task.priority,
    acceptance_criteria: task.acceptanceCriteria,
    files: task.files,
    requirement_title: task.requirementTitle,
  };
}

function taskVariables(v: PrTaskVariables) {
  return {
    task: taskVars(v.task),
    run: v.run,
    base: v.base,
    agent: v.agent,
    // Display strings are built here: Liquid's tag trimming would eat the spaces around inline tags.
    dependencies: v.dependencies.map((d) => ({ id: d.id, title: d.title, pr_url: d.prUrl ?? '', pr_state: d.prState ?? '', pr_link: prLink(d.prUrl, d.prState, 'no pull request') })),
    attempts: v.attempts.map((a) => {
      const error = a.error ? oneLine(a.error).slice(0, 200) : '';
      return { number: a.number, status: a.status, error, line: `attempt ${a.number}: ${a.status}${error ? ` — ${error}` : ''}` };
    }),
    verify: {
      command: v.verify.command ?? '',
      result: v.verify.passed ? 'passed' : 'failed',
      text: v.verify.command ? `\`${v.verify.command}\` ${v.verify.passed ? 'passed' : 'failed'}` : 'no verify command configured',
    },
    summary: v.summary ?? '',
    files_changed: v.filesChanged,
  };
}

function prLink(url: string | null, state: string | null, none: string): string {
  return url ? `${url}${state ? ` (${state})` : ''}` : none;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Collapses the blank lines templates leave behind. */
function tidy(text: string): string {
  return text.replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim() + '\n';
}
