// Lint rules, including the layer rules of ARCHITECTURE.md: arrows point one way
// (http → services → {cds, policy, patient-data, engine, render} → platform); only http/ imports
// express; nothing in src/ imports demo/ or tools/. Cycles are checked by madge (npm run lint).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const up = '^(\\./|(\\.\\./)+)';
const folder = (names) => `${up}(${names.join('|')})(/|$)`;
const layer = (files, forbidden, message, extra = []) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: extra,
        patterns: [
          { regex: folder(forbidden), message },
          { regex: `${up}(demo|tools)(/|$)`, message: 'src/ never imports demo/ or tools/.' },
        ],
      },
    ],
  },
});
const noExpress = [{ name: 'express', message: 'Only src/http imports express.' }];
const ALL = [
  'platform',
  'cds',
  'policy',
  'patient-data',
  'engine',
  'render',
  'dtr',
  'services',
  'http',
  'adapters',
  'ports',
];
const except = (...allowed) => ALL.filter((n) => !allowed.includes(n));

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'bench-results/**',
      'test-output/**',
      'demo/public/**',
      'cql/**',
      'coverage/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Named exports only.' },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['eslint.config.mjs', 'tools/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['src/**/*.ts', 'demo/**/*.ts', 'tools/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 300, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': [
        'error',
        { max: 60, skipBlankLines: true, skipComments: true, IIFEs: true },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  layer(
    ['src/platform/**/*.ts'],
    except('platform'),
    'platform/ imports nothing else of src/.',
    noExpress,
  ),
  layer(
    ['src/engine/**/*.ts'],
    except('platform', 'engine'),
    'engine/ imports only platform/ (it owns its input type).',
    noExpress,
  ),
  layer(['src/cds/**/*.ts'], except('platform', 'cds'), 'cds/ imports only platform/.', noExpress),
  layer(
    ['src/patient-data/**/*.ts'],
    except('platform', 'cds', 'patient-data'),
    'patient-data/ imports only platform/ and cds/.',
    noExpress,
  ),
  layer(
    ['src/policy/**/*.ts'],
    except('platform', 'cds', 'engine', 'policy'),
    'policy/ imports only platform/, cds/ and engine/.',
    noExpress,
  ),
  layer(
    ['src/render/**/*.ts'],
    except('platform', 'cds', 'engine', 'policy', 'render'),
    'render/ imports only platform/, cds/, engine/ and policy/.',
    noExpress,
  ),
  layer(
    ['src/dtr/**/*.ts'],
    except('platform', 'cds', 'engine', 'policy', 'dtr'),
    'dtr/ imports only platform/, cds/, engine/ and policy/.',
    noExpress,
  ),
  layer(
    ['src/adapters/**/*.ts'],
    ['http', 'services', 'render', 'policy', 'engine', 'patient-data', 'dtr'],
    'adapters/ implement ports; they import only platform/, cds/ and ports.',
    noExpress,
  ),
  layer(
    ['src/services/**/*.ts'],
    ['http', 'adapters'],
    'services/ never import http/ or adapters/ (main wires adapters in).',
    noExpress,
  ),
  layer(['src/http/**/*.ts'], ['adapters'], 'http/ receives adapters from main.'),
  layer(
    ['src/ports.ts'],
    except('cds', 'platform'),
    'ports.ts names interfaces over cds/ and platform/ types only.',
    noExpress,
  ),
  layer(['src/main.ts'], [], 'main.ts composes everything.', noExpress),
);
