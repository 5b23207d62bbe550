/** The definitions and imports of one source file, read from its syntax tree (signatures, not bodies). */

import type { Language } from './languages.js';
import { withSyntaxTree, type SyntaxNode } from './syntax.js';

/** One definition: a function, class, interface, type, method or exported constant. */
export interface Definition {
  name: string;
  kind: string;
  /** The declaration without its body, on one line: `export function f(a: number): string`. */
  signature: string;
  /** 1-based line of the declaration. */
  line: number;
  /** Full source of the definition (bodies included), for code examples. */
  text: string;
  /** Members of a class, interface or impl. */
  members: Definition[];
}

/** What outlining a file yields. */
export interface FileOutline {
  definitions: Definition[];
}

const MAX_SIGNATURE = 240;
/** Types and interfaces up to this size are shown whole: their body is the signature. */
const SMALL_TYPE = 600;

// Node types that define something, per grammar family; the rest of a file is skipped.
const DEFINITIONS: ReadonlySet<string> = new Set([
  // TypeScript / JavaScript
  'function_declaration', 'generator_function_declaration', 'class_declaration', 'abstract_class_declaration',
  'interface_declaration', 'type_alias_declaration', 'enum_declaration', 'method_definition', 'method_signature',
  'abstract_method_signature', 'public_field_definition', 'property_signature', 'lexical_declaration', 'variable_declaration',
  'module', 'internal_module',
  // Python
  'function_definition', 'class_definition', 'decorated_definition',
  // Go
  'method_declaration', 'type_declaration',
  // Rust
  'function_item', 'function_signature_item', 'struct_item', 'enum_item', 'trait_item', 'impl_item', 'type_item', 'const_item',
  // Java
  'constructor_declaration', 'field_declaration',
  // Ruby
  'method', 'singleton_method', 'class',
]);

const WHOLE: ReadonlySet<string> = new Set(['interface_declaration', 'type_alias_declaration', 'enum_declaration', 'struct_item', 'enum_item', 'type_declaration', 'type_item']);
const CONTAINERS: ReadonlySet<string> = new Set(['class_declaration', 'abstract_class_declaration', 'class_definition', 'trait_item', 'impl_item', 'class', 'interface_declaration']);

/** Outlines `text` as `language`; an empty outline when it cannot be parsed. */
export async function outlineSource(language: Language, text: string): Promise<FileOutline> {
  return withSyntaxTree(language, text, (root) => ({
    definitions: collect(root, text, 0),
  }));
}

function collect(node: SyntaxNode, source: string, depth: number): Definition[] {
  const out: Definition[] = [];
  for (const child of node.namedChildren) {
    if (child.type === 'export_statement' || child.type === 'ambient_declaration') {
      // `export function f` / `declare function f`: the definition inside, shown with its prefix.
      const inner = collect(child, source, depth);
      const prefix = child.type === 'export_statement' ? (/^export\s+default\b/.test(child.text) ? 'export default ' : 'export ') : 'declare ';
      for (const d of inner) out.push({ ...d, signature: d.signature.startsWith(prefix.trim()) ? d.signature : prefix + d.signature });
      continue;
    }
    if (child.type === 'decorated_definition') {
      const def = child.childForFieldName('definition');
      if (def) out.push(...collect({ namedChildren: [def] } as unknown as SyntaxNode, source, depth));
      continue;
    }
    if (!DEFINITIONS.has(child.type)) {
      // Go's `type (...)` blocks and Rust's `mod` hold definitions one level down.
      if (depth === 0 && (child.type === 'declaration_list' || child.type === 'program')) out.push(...collect(child, source, depth));
      continue;
    }
    const def = definition(child, source, depth);
    if (def) out.push(def);
  }
  return out;
}

function definition(node: SyntaxNode, source: string, depth: number): Definition | undefined {
  const kind = node.type;
  if (kind === 'lexical_declaration' || kind === 'variable_declaration') {
    // Only top-level constants: locals inside functions are never collected (bodies are not walked).
    const declarator = node.namedChildren.find((c) => c.type === 'variable_declarator');
    const name = declarator?.childForFieldName('name')?.text;
    if (!declarator || !name) return undefined;
    const value = declarator.childForFieldName('value');
    const isFunction = value !== null && (value.type === 'arrow_function' || value.type === 'function_expression' || value.type === 'function');
    const keyword = node.text.split(/\s/, 1)[0] ?? 'const';
    let signature: string;
    if (isFunction && value) {
      const body = value.childForFieldName('body');
      const head = source.slice(value.startIndex, body ? body.startIndex : value.endIndex);
      signature = `${keyword} ${name} = ${oneLine(head).replace(/\s*=>\s*$/, '')} =>`;
    } else {
      const type = declarator.childForFieldName('type')?.text;
      signature = type ? `${keyword} ${name}${type}` : `${keyword} ${name} = ${clip(oneLine(value?.text ?? ''), 60)}`;
    }
    return { name, kind: isFunction ? 'function' : 'constant', signature: clip(signature, MAX_SIGNATURE), line: node.startPosition.row + 1, text: node.text, members: [] };
  }
  const name = node.childForFieldName('name')?.text ?? node.childForFieldName('type')?.text ?? firstIdentifier(node) ?? '';
  if (name === '' && kind !== 'impl_item') return undefined;
  const body = node.childForFieldName('body');
  let signature: string;
  if (WHOLE.has(kind) && node.text.length <= SMALL_TYPE) signature = oneLine(stripComments(node.text));
  else signature = oneLine(stripComments(source.slice(node.startIndex, body ? body.startIndex : node.endIndex))).replace(/[{:]\s*$/, '').trim();
  const members = CONTAINERS.has(kind) && body && depth < 1 && !(WHOLE.has(kind) && node.text.length <= SMALL_TYPE) ? collect(body, source, depth + 1) : [];
  return { name, kind: kindLabel(kind), signature: clip(signature.replace(/;$/, ''), MAX_SIGNATURE), line: node.startPosition.row + 1, text: node.text, members };
}

function kindLabel(type: string): string {
  if (type.includes('class')) return 'class';
  if (type.includes('interface') || type === 'trait_item') return 'interface';
  if (type.includes('type') || type.includes('struct') || type.includes('enum')) return 'type';
  if (type.includes('method') || type.includes('function') || type === 'method' || type === 'constructor_declaration') return 'function';
  return type.replace(/_(declaration|definition|item|signature)$/, '');
}

function firstIdentifier(node: SyntaxNode): string | undefined {
  return node.namedChildren.find((c) => /identifier$/.test(c.type) || c.type === 'type_spec')?.text.split(/\s/, 1)[0];
}

function stripComments(text: string): string {
  // `//` only after whitespace, so URLs in string literals survive.
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/[^\n]*/g, '$1');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1).trimEnd() + '…';
}
