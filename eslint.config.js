// Lint rules include the import boundaries of the architecture: each folder may import only
// the folders its stage needs (see README "Layout"). Breaking one is a lint error, not a review note.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const forbid = (...folders) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: folders.map((f) => ({
        group: [`**/${f}/*`, `**/${f}/**`, `../${f}/*`, `../../${f}/*`],
        message: `this folder must not import from src/${f} (see the layering rules in README)`,
      })),
    },
  ],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', 'bin/**', 'deploy/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  { files: ['src/engine/**'], rules: forbid('sources', 'alerts', 'outbox', 'sinks', 'provision', 'ops', 'app') },
  // The backtest is analysis over the engine: it reads no source and sends nothing anywhere.
  { files: ['src/backtest/**'], rules: forbid('sources', 'alerts', 'outbox', 'sinks', 'provision', 'app') },
  { files: ['src/events/**'], rules: forbid('sources', 'alerts', 'outbox', 'sinks', 'provision', 'ops', 'app', 'engine') },
  { files: ['src/alerts/**'], rules: forbid('sources', 'outbox', 'sinks', 'provision', 'app') },
  { files: ['src/outbox/**'], rules: forbid('sources', 'engine', 'provision', 'app') },
  { files: ['src/sinks/**'], rules: forbid('sources', 'engine', 'outbox', 'provision', 'app') },
  // ops/ is infrastructure (metrics, health, log, scheduler): it knows no stage; app/ wires them.
  { files: ['src/ops/**'], rules: forbid('sources', 'engine', 'alerts', 'outbox', 'sinks', 'provision', 'app') },
  { files: ['src/sources/**'], rules: forbid('engine', 'alerts', 'outbox', 'sinks', 'provision', 'app') },
  { files: ['src/provision/**'], rules: forbid('sources', 'alerts', 'outbox', 'sinks', 'app') },
  { files: ['src/text/**', 'src/config/**'], rules: forbid('sources', 'engine', 'alerts', 'outbox', 'sinks', 'provision', 'ops', 'app') },
  {
    files: ['src/engine/**'],
    rules: {
      'no-restricted-globals': ['error', 'Date', 'setTimeout', 'setInterval', 'setImmediate', 'process', 'Promise', 'fetch', 'console'],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'the engine is deterministic' }],
    },
  },
  { files: ['scripts/**', 'bench/**', 'test/**'], languageOptions: { globals: { process: 'readonly', console: 'readonly' } } },
);
