#!/usr/bin/env node
/* global process, console */
// weft's bundled EXAMPLE agent. It is not an AI: it writes one deterministic file per task so the
// whole pipeline (worktrees, integration, dependencies, retries, report) can be watched without an
// AI service. Real runs use --agent claude, codex, aider, gemini, codegen or any command line.
//
// It writes weft-example/<task-id>.md into the worktree (its current directory), listing which of its
// dependencies' files it can see: a dependent must see its dependencies' work. (A dependency marked
// done in the document never ran, so it has no file; that is reported, not treated as an error.)
//
// Knobs, to see weft's failure handling:
//   WEFT_EXAMPLE_FAIL=id,id   the first attempt of these tasks exits 1 (the retry's prompt carries the output)
//   WEFT_EXAMPLE_NOOP=id,id   the first attempt of these tasks changes nothing ("agent made no changes")
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const env = process.env;
const taskId = env.WEFT_TASK_ID;
if (!taskId) {
  console.error('example-agent: WEFT_TASK_ID is not set; this script is meant to be run by weft (--agent example)');
  process.exit(2);
}
const title = env.WEFT_TASK_TITLE ?? '';
const attempt = Number(env.WEFT_ATTEMPT ?? '1');
const deps = (env.WEFT_TASK_DEPENDS_ON ?? '').split(',').filter(Boolean);
const listed = (name) => (env[name] ?? '').split(',').map((s) => s.trim()).includes(taskId);
const fileName = (id) => `${id.replace(/[^A-Za-z0-9._-]+/g, '-')}.md`;

const prompt = readPrompt();
const dir = 'weft-example';

if (attempt === 1 && listed('WEFT_EXAMPLE_FAIL')) {
  console.log(`example-agent: working on ${taskId}...`);
  console.error(`example-agent: EXAMPLE-FAILURE-${taskId}: failing the first attempt on purpose (WEFT_EXAMPLE_FAIL)`);
  process.exit(1);
}
if (attempt === 1 && listed('WEFT_EXAMPLE_NOOP')) {
  console.log(`example-agent: leaving ${taskId} untouched on purpose (WEFT_EXAMPLE_NOOP)`);
  process.exit(0);
}

const visible = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.md')).sort() : [];
const missing = deps.filter((d) => !visible.includes(fileName(d)));
if (missing.length > 0) console.error(`example-agent: no files from dependencies ${missing.join(', ')} (done before the run, or not integrated)`);

const digest = createHash('sha256').update(prompt).digest('hex').slice(0, 12);
const firstHeading = prompt.split('\n').find((l) => l.startsWith('#'))?.replace(/^#+\s*/, '') ?? '(none)';
const feedbackSeen = prompt.includes(`EXAMPLE-FAILURE-${taskId}`) || /made no changes/.test(prompt);
const lines = [
  `# ${taskId}: ${title}`,
  '',
  `Written by weft's bundled EXAMPLE agent (no AI), attempt ${attempt}.`,
  '',
  '## Dependencies',
  ...(deps.length ? deps.map((d) => `- ${d}: ${dir}/${fileName(d)} ${missing.includes(d) ? 'is NOT visible' : 'is present'}`) : ['- none']),
  '',
  '## Work visible in this worktree',
  ...(visible.length ? visible.map((f) => `- ${dir}/${f}`) : ['- nothing yet']),
  '',
  '## Prompt',
  `- ${prompt.length} characters, sha256 ${digest}`,
  `- first heading: ${firstHeading}`,
  ...(attempt > 1 ? [`- previous failure fed back in the prompt: ${feedbackSeen ? 'yes' : 'no'}`] : []),
  '',
];
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, fileName(taskId)), lines.join('\n'));
console.log(`Wrote ${dir}/${fileName(taskId)} for "${title}"; it sees ${deps.length - missing.length} of ${deps.length} dependencies' work.`);

function readPrompt() {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return env.WEFT_PROMPT_FILE && existsSync(env.WEFT_PROMPT_FILE) ? readFileSync(env.WEFT_PROMPT_FILE, 'utf8') : '';
  }
}
