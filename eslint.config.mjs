// The linter keeps the architecture (docs/architecture.md) as well as the code:
// - no import cycles;
// - `vscode` only under src/extension (and the VS Code test layers);
// - the faces (src/cli, src/extension) enter the core only through a folder's door (src/core/<folder>/index.ts)
//   or a root file (src/core/*.ts);
// - the core's floors run one way (root files < data, llm, versions < method < workspace < eval < bench, collect, theta, report);
// - views never import commands;
// - files are written only through the write guard: `node:fs` write calls are imported by write-guard.ts alone.
// Layout is Prettier's (`npm run format`); this file says nothing about it.
import tseslint from 'typescript-eslint';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

/** Writing a file is the write guard's job (src/core/write-guard.ts checks every target first). */
const fsWrites = [
  'writeFile',
  'writeFileSync',
  'appendFile',
  'appendFileSync',
  'createWriteStream',
  'rename',
  'renameSync',
  'copyFile',
  'copyFileSync',
  'mkdir',
  'mkdirSync',
  'rm',
  'rmSync',
  'unlink',
  'unlinkSync',
  'truncate',
  'symlink',
  'link',
];
const writeBans = ['node:fs', 'node:fs/promises', 'fs', 'fs/promises'].map((name) => ({
  name,
  importNames: fsWrites,
  message: 'Write files through the write guard (src/core/write-guard.ts): it checks every target first.',
}));
/** Deferred imports would pass the door rules unseen; esbuild bundles one file anyway. */
const noDeferredImports = {
  selector: 'ImportExpression',
  message: 'Import statically (from a door): a deferred import() is not checked by the architecture rules.',
};

/** A file in a core folder may not import from a floor above its own, nor from another job folder. */
const floors = [
  ['data', 'llm', 'versions'],
  ['method'],
  ['workspace'],
  ['eval'],
  ['bench', 'collect', 'theta', 'report'],
];
const coreFloorRules = floors.flatMap((folders, level) => {
  const above = floors.slice(level + 1).flat();
  return folders.map((folder) => {
    const sideways = level === floors.length - 1 ? folders.filter((f) => f !== folder) : [];
    const banned = [...above, ...sideways];
    return {
      files: [`src/core/${folder}/**/*.ts`],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            paths: ['vscode', ...writeBans],
            patterns: [
              {
                group: banned.flatMap((f) => [`../${f}`, `../${f}/**`, `../../${f}`, `../../${f}/**`]),
                message: `src/core/${folder} may not import from a floor above it (or another job): see docs/architecture.md.`,
              },
            ],
          },
        ],
      },
    };
  });
});

const doorBan = {
  group: ['**/core/*/**'],
  message: 'The faces import the core only through a folder door (src/core/<folder>/index.ts) or a root file.',
};

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', 'media/**'] },
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.mjs', '.js'] })],
      // no-cycle follows only files it can parse: TypeScript's, through typescript-eslint's parser.
      'import-x/extensions': ['.ts', '.mjs', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts', 'webview/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: ['vscode', ...writeBans] }] },
  },
  {
    // The webviews run in a browser. Their type check can see Node's types (protocol.ts imports the core's types,
    // type-only), so the browser rule is the linter's: no Node globals, no Node modules.
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', 'process', 'Buffer', 'require', '__dirname', '__filename', 'global'],
      'no-restricted-imports': [
        'error',
        { paths: ['vscode'], patterns: [{ group: ['node:*'], message: 'The webviews run in a browser.' }] },
      ],
    },
  },
  ...coreFloorRules,
  {
    files: ['src/core/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['vscode', ...writeBans],
          patterns: [
            { group: ['./*/**'], message: 'The core root files are its bottom floor: they import no core folder.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['vscode', ...writeBans], patterns: [doorBan] }],
      'no-restricted-syntax': ['error', noDeferredImports],
    },
  },
  {
    files: ['src/extension/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: writeBans, patterns: [doorBan] }],
      'no-restricted-syntax': ['error', noDeferredImports],
    },
  },
  {
    files: ['src/extension/views/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: writeBans,
          patterns: [doorBan, { group: ['../commands', '../commands/**'], message: 'Views never import commands.' }],
        },
      ],
    },
  },
  {
    // The write guard and the atomic writer are the two homes of file writes.
    files: ['src/core/write-guard.ts', 'src/core/atomic-write.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: ['vscode'] }] },
  },
  {
    // Tests reach into odd shapes (loopback bodies, CLI JSON) where `any` is the honest type; src stays strict.
    files: ['test/**/*', 'tools/**/*.mjs', '*.mjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
