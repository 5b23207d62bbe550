/**
 * Anthropic Messages API (SSE and plain JSON) for Claude Code: the main conversation (the request with
 * tools) writes files through Claude Code's own Write tool; side requests (session title, ...) get text.
 */
import type { ServerResponse } from 'node:http';
import { sendJson, sseEvent, sseStart, startScriptedServer, type Action, type ModelServer, type ProviderHandler, type Scenario } from './scripted-server.js';

interface Block {
  type: string;
  text?: string;
}
interface Message {
  role: string;
  content: string | Block[];
}
interface MessagesBody {
  model?: string;
  stream?: boolean;
  tools?: unknown[];
  system?: string | Block[];
  messages?: Message[];
}

const USAGE = { input_tokens: 1200, output_tokens: 80, cache_read_input_tokens: 300, cache_creation_input_tokens: 0 };

const textOf = (content: string | Block[] | undefined): string =>
  typeof content === 'string' ? content : (content ?? []).filter((b) => b.type === 'text').map((b) => b.text ?? '').join('\n');

const errorType = (status: number) =>
  status === 401 ? 'authentication_error'
  : status === 403 ? 'permission_error'
  : status === 429 ? 'rate_limit_error'
  : status === 529 ? 'overloaded_error'
  : status >= 500 ? 'api_error'
  : 'invalid_request_error';

/** The reply blocks of one turn: the next Write (or Bash), or the closing text once every tool call is made. */
function nextBlocks(action: Extract<Action, { kind: 'edit' | 'shell' }>, body: MessagesBody): { blocks: Record<string, unknown>[]; stop: string } {
  const system = typeof body.system === 'string' ? body.system : textOf(body.system);
  const cwd = /Primary working directory: (\S+)/.exec(system)?.[1] ?? '.';
  const done = (body.messages ?? []).filter((m) => m.role === 'assistant' && Array.isArray(m.content) && m.content.some((b) => b.type === 'tool_use')).length;
  if (action.kind === 'shell') {
    if (done > 0) return { blocks: [{ type: 'text', text: 'I could not run the command.' }], stop: 'end_turn' };
    return { blocks: [{ type: 'tool_use', id: `toolu_sh_${Date.now()}`, name: 'Bash', input: { command: action.command, description: 'Write the note' } }], stop: 'tool_use' };
  }
  const file = action.files[done];
  if (!file) return { blocks: [{ type: 'text', text: action.summary ?? 'Done: wrote the files.' }], stop: 'end_turn' };
  return { blocks: [{ type: 'tool_use', id: `toolu_${done + 1}_${Date.now()}`, name: 'Write', input: { file_path: `${cwd}/${file.path}`, content: file.content } }], stop: 'tool_use' };
}

function streamMessage(res: ServerResponse, model: string, blocks: Record<string, unknown>[], stop: string, breakAfterStart?: string): void {
  sseStart(res);
  const id = `msg_${Date.now()}`;
  sseEvent(res, { type: 'message_start', message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...USAGE, output_tokens: 1 } } }, 'message_start');
  if (breakAfterStart !== undefined) {
    sseEvent(res, { type: 'error', error: { type: 'api_error', message: breakAfterStart } }, 'error');
    res.end();
    return;
  }
  blocks.forEach((block, index) => {
    if (block.type === 'tool_use') {
      sseEvent(res, { type: 'content_block_start', index, content_block: { ...block, input: {} } }, 'content_block_start');
      sseEvent(res, { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) } }, 'content_block_delta');
    } else {
      sseEvent(res, { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }, 'content_block_start');
      sseEvent(res, { type: 'content_block_delta', index, delta: { type: 'text_delta', text: block.text } }, 'content_block_delta');
    }
    sseEvent(res, { type: 'content_block_stop', index }, 'content_block_stop');
  });
  sseEvent(res, { type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: USAGE.output_tokens } }, 'message_delta');
  sseEvent(res, { type: 'message_stop' }, 'message_stop');
  res.end();
}

const handler: ProviderHandler = ({ req, res, path, body, scenario, notePrompt }) => {
  if (req.method !== 'POST') return void res.writeHead(200).end();
  if (path.endsWith('/count_tokens')) return sendJson(res, 200, { input_tokens: 100 });
  if (!path.endsWith('/v1/messages')) return sendJson(res, 404, { type: 'error', error: { type: 'not_found_error', message: path } });
  const b = (body ?? {}) as MessagesBody;
  const model = b.model ?? 'claude-sonnet-4-5';
  const prompt = textOf(b.messages?.find((m) => m.role === 'user')?.content);
  const main = Array.isArray(b.tools) && b.tools.length > 0;
  const action = scenario(prompt);
  if (action.kind === 'hang') return;
  if (action.kind === 'status') {
    return sendJson(res, action.status, { type: 'error', error: { type: errorType(action.status), message: action.message ?? `scripted ${action.status}` } }, action.headers);
  }
  if (!main) {
    // Side requests (session title and the like): a short JSON text satisfies the ones that want structure.
    const blocks = [{ type: 'text', text: '{"title":"Scripted task"}' }];
    if (b.stream) return streamMessage(res, model, blocks, 'end_turn');
    return sendJson(res, 200, { id: 'msg_side', type: 'message', role: 'assistant', model, content: blocks, stop_reason: 'end_turn', stop_sequence: null, usage: USAGE });
  }
  notePrompt(prompt);
  if (action.kind === 'stream-error') return streamMessage(res, model, [], 'end_turn', action.message ?? 'Internal server error');
  const { blocks, stop } = nextBlocks(action, b);
  if (b.stream) return streamMessage(res, model, blocks, stop);
  sendJson(res, 200, { id: 'msg_main', type: 'message', role: 'assistant', model, content: blocks, stop_reason: stop, stop_sequence: null, usage: USAGE });
};

/** Starts an Anthropic Messages stand-in (point ANTHROPIC_BASE_URL at its url). */
export function startAnthropicServer(scenario: Scenario): Promise<ModelServer> {
  return startScriptedServer(handler, scenario);
}
