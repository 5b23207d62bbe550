/** Code context for prompts: repository maps, related files, code examples and dependency manifests. */

export { EMPTY_REPO_CONTEXT, createCodeContext } from './code-context.js';
export type { CodeContext, CodeContextSettings, RelatedFile, RepoContext } from './code-context.js';
export { LANGUAGES, languageOf } from './languages.js';
export { outlineSource } from './outline.js';
export type { Definition, FileOutline } from './outline.js';
export { createFsSourceTree, createGitSourceTree } from './source-tree.js';
export type { SourceTree } from './source-tree.js';
export { codeContextSettings, wantsCodeContext } from './context-settings.js';
