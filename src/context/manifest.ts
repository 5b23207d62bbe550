/** A short summary of the project's dependency manifests (package.json, pyproject.toml, go.mod, Cargo.toml, requirements.txt). */

import type { SourceTree } from './source-tree.js';

export const MANIFESTS = ['package.json', 'pyproject.toml', 'requirements.txt', 'go.mod', 'Cargo.toml'] as const;

/** Summary lines of every root-level manifest, empty when there is none. */
export async function summarizeManifests(tree: SourceTree): Promise<string> {
  const files = await tree.list();
  const parts: string[] = [];
  for (const name of MANIFESTS) {
    if (!files.has(name)) continue;
    const text = await tree.read(name);
    if (text === undefined) continue;
    const summary = name === 'package.json' ? packageJson(text) : name === 'requirements.txt' ? requirementsTxt(text) : tomlOrMod(name, text);
    if (summary) parts.push(`${name}:\n${summary}`);
  }
  return parts.join('\n\n');
}

function packageJson(text: string): string {
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return '';
  }
  const lines: string[] = [];
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const name = str(pkg.name);
  if (name) lines.push(`  name: ${name}${str(pkg.version) ? `@${str(pkg.version)}` : ''}${str(pkg.type) ? ` (type: ${str(pkg.type)})` : ''}`);
  const engines = record(pkg.engines);
  if (engines) lines.push(`  engines: ${entries(engines)}`);
  const scripts = record(pkg.scripts);
  if (scripts) lines.push(`  scripts: ${Object.entries(scripts).map(([k, v]) => `${k}: ${String(v)}`).join('; ')}`);
  const deps = record(pkg.dependencies);
  if (deps) lines.push(`  dependencies: ${entries(deps)}`);
  const dev = record(pkg.devDependencies);
  if (dev) lines.push(`  devDependencies: ${entries(dev)}`);
  return lines.join('\n');
}

function requirementsTxt(text: string): string {
  const deps = text.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter((l) => l !== '' && !l.startsWith('-'));
  return deps.length > 0 ? `  dependencies: ${deps.join(', ')}` : '';
}

/** Top-level name/module lines and the dependency sections of TOML manifests and go.mod, verbatim but compact. */
function tomlOrMod(name: string, text: string): string {
  const lines: string[] = [];
  let inDeps = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('//')) continue;
    if (name === 'go.mod') {
      if (/^(module|go)\s/.test(line)) lines.push(`  ${line}`);
      else if (/^require\s*\($/.test(line)) inDeps = true;
      else if (line === ')') inDeps = false;
      else if (inDeps || line.startsWith('require ')) lines.push(`  ${line.replace(/^require\s+/, '')}`);
      continue;
    }
    if (line.startsWith('[')) {
      inDeps = /dependencies\]$/.test(line);
      if (inDeps) lines.push(`  ${line}`);
      continue;
    }
    if (inDeps || /^(name|version|requires-python|edition)\s*=/.test(line) || /^dependencies\s*=/.test(line)) lines.push(`  ${line}`);
  }
  return lines.slice(0, 60).join('\n');
}

function record(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0 ? (v as Record<string, unknown>) : undefined;
}

function entries(r: Record<string, unknown>): string {
  return Object.entries(r).map(([k, v]) => `${k} ${String(v)}`).join(', ');
}
