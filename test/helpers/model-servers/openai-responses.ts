/**
 * OpenAI Responses API (SSE) for Codex CLI: files are written with codex's own apply_patch tool, called
 * the way the request offers it (a top-level apply_patch tool, or code mode's `exec` with `tools.apply_patch`).
 */
import type { ServerResponse } from 'node:http';
import { sendJson, sseEvent, sseStart, startScriptedServer, type Action, type ModelServer, type ProviderHandler, type Scenario } from './scripted-server.js';

interface Item {
  type?: string;
  role?: string;
  name?: string;
  tools?: Item[];
  content?: { type?: string; text?: string }[] | string;
}
interface ResponsesBody {
  model?: string;
  input?: Item[];
  tools?: Item[];
}

const USAGE = { input_tokens: 2100, input_tokens_details: { cached_tokens: 700 }, output_tokens: 90, output_tokens_details: { reasoning_tokens: 10 }, total_tokens: 2190 };

const textOf = (item: Item) => (typeof item.content === 'string' ? item.content : (item.content ?? []).map((c) => c.text ?? '').join('\n'));

/** Every tool name the request offers, namespaced ones included (code mode nests them). */
function toolNames(body: ResponsesBody): Set<string> {
  const names = new Set<string>();
  const walk = (tools: Item[] | undefined) => {
    for (const t of tools ?? []) {
      if (t.name) names.add(t.name);
      walk(t.tools);
    }
  };
  walk(body.tools);
  for (const item of body.input ?? []) if (item.type === 'additional_tools') walk(item.tools);
  return names;
}

function patchFor(cwd: string, file: { path: string; content: string }): string {
  const lines = file.content.replace(/\n$/, '').split('\n').map((l) => `+${l}`);
  return ['*** Begin Patch', `*** Add File: ${cwd}/${file.path}`, ...lines, '*** End Patch', ''].join('\n');
}

/** The output item of this turn: the next file's patch, or the closing message. */
function nextItem(action: Extract<Action, { kind: 'edit' }>, body: ResponsesBody): Record<string, unknown> {
  const input = body.input ?? [];
  const env = input.map(textOf).join('\n');
  const cwd = /<cwd>([^<]+)<\/cwd>/.exec(env)?.[1] ?? '.';
  const done = input.filter((i) => i.type === 'function_call_output' || i.type === 'custom_tool_call_output').length;
  const file = action.files[done];
  const callId = `call_${done + 1}_${Date.now()}`;
  if (!file) return { type: 'message', id: `msg_${Date.now()}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: action.summary ?? 'Done: wrote the files.', annotations: [] }] };
  const names = toolNames(body);
  const patch = patchFor(cwd, file);
  if (names.has('apply_patch') && !names.has('exec')) return { type: 'custom_tool_call', id: `ctc_${callId}`, call_id: callId, name: 'apply_patch', input: patch, status: 'completed' };
  if (names.has('exec')) return { type: 'custom_tool_call', id: `ctc_${callId}`, call_id: callId, name: 'exec', input: `await tools.apply_patch(${JSON.stringify(patch)});\ntext("patched");`, status: 'completed' };
  // A shell tool: write the file with a here-document.
  return { type: 'function_call', id: `fc_${callId}`, call_id: callId, name: 'shell', arguments: JSON.stringify({ command: ['bash', '-lc', `mkdir -p "$(dirname '${file.path}')" && cat > '${file.path}' <<'EOF'\n${file.content}EOF`], workdir: cwd }) };
}

function stream(res: ServerResponse, model: string, item: Record<string, unknown> | null, failMessage?: string): void {
  sseStart(res);
  const id = `resp_${Date.now()}`;
  const base = { id, object: 'response', created_at: Math.floor(Date.now() / 1000), model, status: 'in_progress', output: [] };
  sseEvent(res, { type: 'response.created', response: base }, 'response.created');
  if (failMessage !== undefined) {
    sseEvent(res, { type: 'response.failed', response: { ...base, status: 'failed', error: { code: 'server_error', message: failMessage } } }, 'response.failed');
    res.end();
    return;
  }
  if (item) {
    sseEvent(res, { type: 'response.output_item.added', output_index: 0, item }, 'response.output_item.added');
    sseEvent(res, { type: 'response.output_item.done', output_index: 0, item }, 'response.output_item.done');
  }
  sseEvent(res, { type: 'response.completed', response: { ...base, status: 'completed', output: item ? [item] : [], usage: USAGE } }, 'response.completed');
  res.end();
}

const errorBody = (status: number, message: string) => ({
  error: {
    message,
    type: status === 401 ? 'invalid_request_error' : status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error',
    code: status === 401 ? 'invalid_api_key' : status === 429 ? 'rate_limit_exceeded' : null,
    param: null,
  },
});

const handler: ProviderHandler = ({ req, res, path, body, scenario, notePrompt }) => {
  if (req.method !== 'POST') return sendJson(res, 200, { object: 'list', data: [] });
  if (!path.endsWith('/responses')) return sendJson(res, 404, errorBody(404, `no route ${path}`));
  const b = (body ?? {}) as ResponsesBody;
  const users = (b.input ?? []).filter((i) => i.role === 'user').map(textOf);
  // The task is the last user message that is not codex's own environment context.
  const prompt = users.filter((t) => !t.includes('<environment_context>')).at(-1) ?? users.at(-1) ?? '';
  const action = scenario(prompt);
  if (action.kind === 'hang') return;
  if (action.kind === 'shell') return sendJson(res, 501, { error: { message: 'the shell action is scripted for Claude Code only' } });
  if (action.kind === 'status') return sendJson(res, action.status, errorBody(action.status, action.message ?? `scripted ${action.status}`), action.headers);
  notePrompt(prompt);
  const model = b.model ?? 'gpt-5';
  if (action.kind === 'stream-error') return stream(res, model, null, action.message ?? 'scripted failure mid-stream');
  stream(res, model, nextItem(action, b));
};

/** Starts an OpenAI Responses stand-in (codex: a model provider whose base_url is `${url}/v1`). */
export function startOpenAiServer(scenario: Scenario): Promise<ModelServer> {
  return startScriptedServer(handler, scenario);
}
