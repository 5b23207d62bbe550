// A scripted agent for interface tasks: writes every file the prompt asks for (the interface and mock
// paths, and the documents named for the contracts folder), each a one-line placeholder.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import process from 'node:process';

const prompt = readFileSync(process.env.WEFT_PROMPT_FILE, 'utf8');
const write = (path) => {
  mkdirSync(path.split('/').slice(0, -1).join('/'), { recursive: true });
  writeFileSync(path, `// ${path}\n`);
};
for (const path of new Set(prompt.match(/src\/[\w./-]+\.ts/g) ?? [])) write(path);
const deliver = prompt.slice(prompt.indexOf('Contract documents in'));
const docs = /`(docs\/contracts\/[\w-]+)\/`/.exec(deliver)?.[1];
if (docs) for (const name of deliver.split('\n')[0].match(/[\w-]+\.(md|json|yaml)/g) ?? []) write(`${docs}/${name}`);
