#!/usr/bin/env node
// The shape of the code, as issue 21 measures it over src/ and webview/:
// core files the faces import past a folder's door, long functions, long lines,
// module-level `let` in src/extension and view files that import commands.
// `node tools/shape.mjs` prints the figures; `--list` also names every offender; `--check` exits 1
// when a figure is above its goal (0), so CI can hold the line.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const args = new Set(process.argv.slice(2));

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (/\.(ts|tsx|mts)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const files = [...walk(join(root, 'src')), ...walk(join(root, 'webview'))];
const rel = (p) => relative(root, p).split('\\').join('/');

function resolveImport(from, spec) {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec);
  for (const candidate of [base + '.ts', join(base, 'index.ts'), base]) {
    try {
      if (statSync(candidate).isFile()) return rel(candidate);
    } catch {
      // not this one
    }
  }
  return rel(base);
}

/** A core file a face may import: a folder's door (`src/core/<folder>/index.ts`) or a root file (`src/core/x.ts`). */
function isDoor(target) {
  const parts = target.split('/');
  if (parts[0] !== 'src' || parts[1] !== 'core') return true;
  if (parts.length === 3) return true;
  return parts.length === 4 && parts[3] === 'index.ts';
}

const pastDoor = new Map();
const longFunctions = [];
const longLines = [];
const moduleLets = [];
const viewsImportingCommands = [];

for (const path of files) {
  const name = rel(path);
  const text = readFileSync(path, 'utf8');
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const isFace = name.startsWith('src/cli/') || name.startsWith('src/extension/');

  text.split('\n').forEach((line, i) => {
    if (line.length > 140) longLines.push(`${name}:${i + 1} (${line.length})`);
  });

  const visitImport = (spec) => {
    const target = resolveImport(path, spec);
    if (target === undefined) return;
    if (isFace && !isDoor(target)) {
      const from = pastDoor.get(target) ?? [];
      from.push(name);
      pastDoor.set(target, from);
    }
    if (name.startsWith('src/extension/views/') && target.startsWith('src/extension/commands')) {
      viewsImportingCommands.push(`${name} -> ${target}`);
    }
  };

  for (const statement of source.statements) {
    if ((ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier) {
      visitImport(statement.moduleSpecifier.text);
    }
    if (name.startsWith('src/extension/') && ts.isVariableStatement(statement)) {
      if (statement.declarationList.flags & ts.NodeFlags.Let) {
        const line = source.getLineAndCharacterOfPosition(statement.getStart()).line + 1;
        moduleLets.push(`${name}:${line}`);
      }
    }
  }

  const visit = (node) => {
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteral(arg)) visitImport(arg.text);
    }
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines >= 100) {
        const label = node.name && ts.isIdentifier(node.name) ? node.name.text : '(anonymous)';
        longFunctions.push(`${name}:${start + 1} ${label} (${lines} lines)`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

const figures = [
  [
    "core files imported by the CLI or the extension past a folder's index.ts",
    pastDoor.size,
    [...pastDoor].map(([target, from]) => `${target} <- ${[...new Set(from)].join(', ')}`),
  ],
  ['functions of 100 lines or more', longFunctions.length, longFunctions],
  ['lines over 140 characters', longLines.length, longLines],
  ['module-level let in src/extension', moduleLets.length, moduleLets],
  [
    'view files importing commands',
    new Set(viewsImportingCommands.map((v) => v.split(' ')[0])).size,
    viewsImportingCommands,
  ],
];

console.log(`shape of src/ and webview/ (${files.length} files)`);
for (const [label, count, list] of figures) {
  console.log(`${String(count).padStart(6)}  ${label}`);
  if (args.has('--list')) for (const item of list) console.log(`          ${item}`);
}
if (args.has('--check') && figures.some(([, count]) => count > 0)) process.exit(1);
