/**
 * Gemini API (generateContent and streamGenerateContent with SSE) for Gemini CLI: files are written with
 * the CLI's own write_file tool; side requests (routing, next-speaker checks) get a small JSON answer.
 */
import type { ServerResponse } from 'node:http';
import { sendJson, startScriptedServer, type Action, type ModelServer, type ProviderHandler, type Scenario } from './scripted-server.js';

interface Part {
  text?: string;
  functionCall?: unknown;
  functionResponse?: unknown;
}
interface Content {
  role?: string;
  parts?: Part[];
}
interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: string[];
}
interface GenerateBody {
  generationConfig?: { responseJsonSchema?: Schema; responseSchema?: Schema };
  contents?: Content[];
  tools?: { functionDeclarations?: { name?: string }[] }[];
  systemInstruction?: Content;
}

const USAGE = { promptTokenCount: 1500, candidatesTokenCount: 70, cachedContentTokenCount: 200, totalTokenCount: 1570 };

const textOf = (c: Content | undefined) => (c?.parts ?? []).map((p) => p.text ?? '').join('\n');

const statusName = (status: number) =>
  status === 401 ? 'UNAUTHENTICATED' : status === 403 ? 'PERMISSION_DENIED' : status === 429 ? 'RESOURCE_EXHAUSTED' : status === 503 ? 'UNAVAILABLE' : status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT';

/** A value that satisfies a response schema (side requests ask for structured JSON). */
function sample(schema: Schema | undefined): unknown {
  const type = (schema?.type ?? 'object').toLowerCase();
  if (schema?.enum?.length) return schema.enum[0];
  if (type === 'object') return Object.fromEntries(Object.entries(schema?.properties ?? {}).map(([k, v]) => [k, sample(v)]));
  if (type === 'array') return [];
  if (type === 'integer' || type === 'number') return 1;
  if (type === 'boolean') return false;
  return 'scripted';
}

/** The parts of this turn: the next write_file call, or the closing text. */
function nextParts(action: Extract<Action, { kind: 'edit' }>, body: GenerateBody): Part[] {
  const all = [textOf(body.systemInstruction), ...(body.contents ?? []).map(textOf)].join('\n');
  const cwd = /Workspace Directories:\**\s*\n\s*- (\/\S+)/.exec(all)?.[1] ?? '.';
  const done = (body.contents ?? []).filter((c) => (c.parts ?? []).some((p) => p.functionResponse)).length;
  const file = action.files[done];
  if (!file) return [{ text: action.summary ?? 'Done: wrote the files.' }];
  return [{ functionCall: { name: 'write_file', args: { file_path: `${cwd}/${file.path}`, content: file.content } } }];
}

function answer(res: ServerResponse, stream: boolean, parts: Part[]): void {
  const chunk = { candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }], usageMetadata: USAGE, modelVersion: 'gemini-2.5-pro' };
  if (!stream) return sendJson(res, 200, chunk);
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.end(`data: ${JSON.stringify(chunk)}\r\n\r\n`);
}

const handler: ProviderHandler = ({ req, res, path, body, scenario, notePrompt }) => {
  if (req.method !== 'POST') return sendJson(res, 200, { models: [] });
  if (path.endsWith(':countTokens')) return sendJson(res, 200, { totalTokens: 100 });
  const stream = path.endsWith(':streamGenerateContent');
  if (!stream && !path.endsWith(':generateContent')) return sendJson(res, 404, { error: { code: 404, message: `no route ${path}`, status: 'NOT_FOUND' } });
  const b = (body ?? {}) as GenerateBody;
  const users = (b.contents ?? []).filter((c) => c.role === 'user' && (c.parts ?? []).some((p) => p.text));
  const prompt = users.map(textOf).find((t) => t.includes('# Task')) ?? textOf(users.at(-1));
  const action = scenario(prompt);
  if (action.kind === 'hang') return;
  if (action.kind === 'shell') return sendJson(res, 501, { error: { message: 'the shell action is scripted for Claude Code only' } });
  if (action.kind === 'status') {
    return sendJson(res, action.status, { error: { code: action.status, message: action.message ?? `scripted ${action.status}`, status: statusName(action.status) } }, action.headers);
  }
  const main = (b.tools ?? []).some((t) => (t.functionDeclarations ?? []).some((f) => f.name === 'write_file'));
  if (!main) {
    const schema = b.generationConfig?.responseJsonSchema ?? b.generationConfig?.responseSchema;
    return answer(res, stream, [{ text: schema ? JSON.stringify(sample(schema)) : 'Scripted answer.' }]);
  }
  notePrompt(prompt);
  if (action.kind === 'stream-error') {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: 'Working' }] }, index: 0 }] })}\r\n\r\n`);
    res.write(`data: ${JSON.stringify({ error: { code: 500, message: action.message ?? 'scripted failure mid-stream', status: 'INTERNAL' } })}\r\n\r\n`);
    // The API's own way of failing mid-stream: the error object, then the connection drops.
    res.socket?.destroy();
    return;
  }
  answer(res, stream, nextParts(action, b));
};

/** Starts a Gemini API stand-in (point GOOGLE_GEMINI_BASE_URL at its url). */
export function startGeminiServer(scenario: Scenario): Promise<ModelServer> {
  return startScriptedServer(handler, scenario);
}
