// ESLint flat config: typescript-eslint (syntax-only, no type information needed),
// the React hooks rules, and the import direction of STYLE.md §14:
// shared (components, hooks, lib, config, types) → features → app, features never import each other.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const features = ['auth', 'channels', 'dashboard', 'guide', 'jobs', 'lineups', 'outputs', 'providers', 'rules', 'settings', 'users', 'viewing', 'vod'];

const noAppImports = {
  group: ['@/app', '@/app/*'],
  message: 'Only app/ combines features; shared code and features never import it.',
};
const noFeatureImports = {
  group: ['@/features/*'],
  message: 'Shared code (components, hooks, lib, config, types) never imports a feature.',
};
const noParentImports = {
  group: ['../*'],
  message: 'Use the @/ alias instead of parent-relative imports.',
};

export default defineConfig([
  globalIgnores(['dist', 'node_modules']),
  {
    files: ['**/*.{ts,tsx}'],
    extends: [js.configs.recommended, tseslint.configs.recommended, reactHooks.configs.flat.recommended],
    languageOptions: {
      ecmaVersion: 2022,
      globals: globals.browser,
    },
    rules: {
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
      'prefer-const': 'error',
      'no-var': 'error',
      'object-shorthand': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      'react-hooks/exhaustive-deps': 'error',
      // Only matters with the React Compiler, which the build does not use (TanStack Virtual trips it).
      'react-hooks/incompatible-library': 'off',
      'no-restricted-imports': ['error', { patterns: [noParentImports] }],
    },
  },
  {
    files: ['src/{components,hooks,lib,config,types}/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [noParentImports, noAppImports, noFeatureImports] }],
    },
  },
  ...features.map((name) => ({
    files: [`src/features/${name}/**/*.{ts,tsx}`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noParentImports,
            noAppImports,
            {
              regex: `^@/features/(?!${name}/)`,
              message: 'Features never import each other; combine them in app/routes.',
            },
          ],
        },
      ],
    },
  })),
  {
    files: ['**/*.test.{ts,tsx}', 'src/testing/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
  },
  {
    files: ['*.config.{js,ts}'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: { globals: globals.node },
  },
]);
