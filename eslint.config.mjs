// Flat config: typescript-eslint's recommended rules on everything we compile.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'clients/typescript/dist/**',
      '.cache/**',
      '.tmp/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // The web UI runs in the browser (its workers too).
    files: ['src/ui/**/*.{ts,tsx,mts}'],
    languageOptions: { globals: { ...globals.browser, ...globals.worker } },
  },
  {
    // A backtracking RegExp built at run time could be fed user input (ReDoS): in the product,
    // user patterns go through src/regexp (Go's RE2, linear time). Tests may build their own.
    files: ['src/**/*.ts', 'clients/typescript/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='RegExp'], CallExpression[callee.name='RegExp']",
          message: 'Build user-supplied patterns with compileGoRegexp from src/regexp (RE2).',
        },
      ],
    },
  },
  {
    // The Vivaldi core and the update batcher are pure: no clock, no timer, no global random.
    files: ['src/coordinate/vivaldi.ts', 'src/coordinate/batch.ts'],
    rules: {
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'setImmediate'],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'the coordinate core takes no clock' },
        { object: 'Math', property: 'random', message: 'inject the random source' },
      ],
    },
  },
  {
    // Outside src/raft the core's rule does not apply, but inside it no wall clock may leak in.
    files: ['src/raft/**/*.ts'],
    ignores: [
      'src/raft/storage/**',
      'src/raft/node.ts',
      'src/raft/transport/**',
      'src/raft/**/*.test.ts',
    ],
    rules: {
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'setImmediate'],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'src/raft core is deterministic: use ticks' },
        {
          object: 'Math',
          property: 'random',
          message: 'src/raft core uses the injected seeded random source',
        },
      ],
      'no-restricted-imports': [
        'error',
        { patterns: ['fs', 'node:*', 'net', 'dgram', 'better-sqlite3', 'typeorm'] },
      ],
    },
  },
);
