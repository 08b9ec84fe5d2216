// ESLint: the recommended JavaScript and TypeScript rules (typescript-eslint, without type information so
// it stays quick), run by npm test. Imports between rooms are rooms.yaml's business (test/rooms.test.ts).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/', '.webtrail/', '.venv/', '.venv-train/', 'test-output/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // `_name` marks what a signature must take but this code does not use.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // Scripts that run in the page (the observation walk, the dashboard's live updates).
    files: ['browser/inPage/**/*.js', 'dashboard/assets/**/*.js'],
    languageOptions: { globals: { ...globals.browser }, sourceType: 'script' },
  },
);
