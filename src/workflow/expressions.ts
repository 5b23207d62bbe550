/**
 * The expression language of `if:`, `until:` and `${{ … }}`: jsep parses, this file evaluates the AST.
 * Nothing is ever compiled to code: only literals, names in the context, own properties of plain data,
 * operators and a few named functions exist, so an expression cannot reach the process.
 */
import jsep from 'jsep';
import { InputError } from '../core/errors.js';
import type { Json } from '../store/records.js';

/** What an expression sees: `inputs`, `steps.<id>.status/output`, and `item`/`index`/`iteration` inside loops. */
export type ExprContext = { [name: string]: Json | undefined };

type Value = Json | undefined;

const FUNCTIONS: Record<string, (...args: Value[]) => Value> = {
  length: (v) => (typeof v === 'string' || Array.isArray(v) ? v.length : v && typeof v === 'object' ? Object.keys(v).length : 0),
  contains: (hay, needle) => (typeof hay === 'string' ? typeof needle === 'string' && hay.includes(needle) : Array.isArray(hay) ? hay.some((x) => same(x, needle)) : false),
  startsWith: (s, p) => typeof s === 'string' && typeof p === 'string' && s.startsWith(p),
  endsWith: (s, p) => typeof s === 'string' && typeof p === 'string' && s.endsWith(p),
  lower: (s) => (typeof s === 'string' ? s.toLowerCase() : s),
  upper: (s) => (typeof s === 'string' ? s.toUpperCase() : s),
  json: (v) => JSON.stringify(v ?? null),
  fromJson: (s) => (typeof s === 'string' ? (JSON.parse(s) as Json) : s),
  keys: (o) => (o && typeof o === 'object' && !Array.isArray(o) ? Object.keys(o) : []),
  range: (n) => (typeof n === 'number' && n >= 0 && n <= 10_000 ? Array.from({ length: Math.floor(n) }, (_, i) => i) : []),
};

const cache = new Map<string, jsep.Expression>();

/** Parses an expression; InputError naming the expression when it is not valid. */
export function parseExpression(text: string): jsep.Expression {
  let ast = cache.get(text);
  if (!ast) {
    try {
      ast = jsep(text);
    } catch (err) {
      throw new InputError(`bad expression "${text}": ${(err as Error).message}`);
    }
    check(ast, text);
    if (cache.size > 1000) cache.clear();
    cache.set(text, ast);
  }
  return ast;
}

function check(node: jsep.Expression, text: string): void {
  switch (node.type) {
    case 'Literal':
    case 'Identifier':
      return;
    case 'ThisExpression':
    case 'Compound':
    case 'SequenceExpression':
      throw new InputError(`bad expression "${text}": ${node.type === 'ThisExpression' ? '`this`' : 'more than one expression'} is not allowed`);
    case 'CallExpression': {
      const call = node as jsep.CallExpression;
      if (call.callee.type !== 'Identifier' || !(String((call.callee as jsep.Identifier).name) in FUNCTIONS)) {
        throw new InputError(`bad expression "${text}": only these functions exist: ${Object.keys(FUNCTIONS).join(', ')}`);
      }
      for (const a of call.arguments) check(a, text);
      return;
    }
    default:
      for (const v of Object.values(node)) {
        if (Array.isArray(v)) for (const x of v) if (x && typeof x === 'object' && 'type' in x) check(x as jsep.Expression, text);
        if (v && typeof v === 'object' && !Array.isArray(v) && 'type' in v) check(v as jsep.Expression, text);
      }
  }
}

/** Evaluates an expression over plain data. */
export function evaluate(text: string, ctx: ExprContext): Value {
  return evalNode(parseExpression(text), ctx);
}

/** Whether an expression's value is truthy (empty strings, 0, null, [] and {} are false). */
export function evaluateCondition(text: string, ctx: ExprContext): boolean {
  return truthy(evaluate(text, ctx));
}

function truthy(v: Value): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === 'object') return Object.keys(v).length > 0;
  return Boolean(v);
}

function same(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a && b && typeof a === 'object' && typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return false;
}

function own(obj: Value, key: string | number): Value {
  if (typeof obj === 'string') return key === 'length' ? obj.length : undefined;
  if (Array.isArray(obj)) {
    if (key === 'length') return obj.length;
    return typeof key === 'number' || /^\d+$/.test(key) ? obj[Number(key)] : undefined;
  }
  if (obj && typeof obj === 'object') return Object.hasOwn(obj, key) ? obj[key] : undefined;
  return undefined;
}

function evalNode(node: jsep.Expression, ctx: ExprContext): Value {
  switch (node.type) {
    case 'Literal': {
      const v = (node as jsep.Literal).value;
      return v instanceof RegExp ? String(v) : v;
    }
    case 'Identifier': {
      const name = (node as jsep.Identifier).name;
      if (name === 'true') return true;
      if (name === 'false') return false;
      if (name === 'null') return null;
      return Object.hasOwn(ctx, name) ? ctx[name] : undefined;
    }
    case 'MemberExpression': {
      const m = node as jsep.MemberExpression;
      const obj = evalNode(m.object, ctx);
      const key = m.computed ? evalNode(m.property, ctx) : (m.property as jsep.Identifier).name;
      return typeof key === 'string' || typeof key === 'number' ? own(obj, key) : undefined;
    }
    case 'ArrayExpression':
      return (node as jsep.ArrayExpression).elements.map((e) => (e ? (evalNode(e, ctx) ?? null) : null));
    case 'UnaryExpression': {
      const u = node as jsep.UnaryExpression;
      const v = evalNode(u.argument, ctx);
      if (u.operator === '!') return !truthy(v);
      if (u.operator === '-') return -Number(v);
      if (u.operator === '+') return Number(v);
      throw new InputError(`operator ${u.operator} is not supported`);
    }
    case 'ConditionalExpression': {
      const c = node as jsep.ConditionalExpression;
      return truthy(evalNode(c.test, ctx)) ? evalNode(c.consequent, ctx) : evalNode(c.alternate, ctx);
    }
    case 'CallExpression': {
      const c = node as jsep.CallExpression;
      const fn = FUNCTIONS[(c.callee as jsep.Identifier).name]!;
      return fn(...c.arguments.map((a) => evalNode(a, ctx)));
    }
    case 'BinaryExpression':
    case 'LogicalExpression': {
      const b = node as jsep.BinaryExpression;
      if (b.operator === '&&') return truthy(evalNode(b.left, ctx)) ? evalNode(b.right, ctx) : evalNode(b.left, ctx);
      if (b.operator === '||') {
        const l = evalNode(b.left, ctx);
        return truthy(l) ? l : evalNode(b.right, ctx);
      }
      if (b.operator === '??') return evalNode(b.left, ctx) ?? evalNode(b.right, ctx);
      return binary(b.operator, evalNode(b.left, ctx), evalNode(b.right, ctx));
    }
    default:
      throw new InputError(`expression element ${node.type} is not supported`);
  }
}

function binary(op: string, l: Value, r: Value): Value {
  switch (op) {
    case '==':
    case '===':
      return same(l ?? null, r ?? null);
    case '!=':
    case '!==':
      return !same(l ?? null, r ?? null);
    case '<':
      return (l as number) < (r as number);
    case '<=':
      return (l as number) <= (r as number);
    case '>':
      return (l as number) > (r as number);
    case '>=':
      return (l as number) >= (r as number);
    case '+':
      return typeof l === 'string' || typeof r === 'string' ? `${str(l)}${str(r)}` : Number(l) + Number(r);
    case '-':
      return Number(l) - Number(r);
    case '*':
      return Number(l) * Number(r);
    case '/':
      return Number(l) / Number(r);
    case '%':
      return Number(l) % Number(r);
    default:
      throw new InputError(`operator ${op} is not supported`);
  }
}

function str(v: Value): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

const TEMPLATE = /\$\{\{\s*([\s\S]*?)\s*\}\}/g;

/** Every `${{ expr }}` inside a string (for validation). */
export function templateExpressions(text: string): string[] {
  return [...text.matchAll(TEMPLATE)].map((m) => m[1]!);
}

/**
 * Replaces `${{ expr }}` in strings, deep inside arrays and objects. A string that is exactly one
 * `${{ expr }}` becomes the value itself (a list stays a list); otherwise values are spliced in as text.
 */
export function interpolate(value: Json, ctx: ExprContext): Json {
  if (typeof value === 'string') {
    const whole = /^\$\{\{\s*([\s\S]*?)\s*\}\}$/.exec(value);
    if (whole && !whole[1]!.includes('}}')) return evaluate(whole[1]!, ctx) ?? null;
    return value.replace(TEMPLATE, (_m, expr: string) => str(evaluate(expr, ctx)));
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, ctx));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, ctx)]));
  return value;
}

/** `interpolate` for a string that must stay a string. */
export function interpolateText(text: string, ctx: ExprContext): string {
  return text.replace(TEMPLATE, (_m, expr: string) => str(evaluate(expr, ctx)));
}
