import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Only the modules that own them may import electron, keytar or better-sqlite3 (DESIGN.md 6).
const owners = {
  electron: ['src/main/shell/electron-api.ts', 'src/preload/index.ts'],
  keytar: ['src/main/adapters/keychain/keytar-secret-store.ts'],
  'better-sqlite3': ['src/main/adapters/sqlite/database.ts'],
};

const restricted = Object.keys(owners).map((name) => ({
  name,
  message: `only ${owners[name].join(', ')} may import '${name}'`,
}));

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', 'docs/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      'no-restricted-imports': ['error', { paths: restricted }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...Object.entries(owners).map(([name, files]) => ({
    files,
    rules: {
      'no-restricted-imports': ['error', { paths: restricted.filter((r) => r.name !== name) }],
    },
  })),
  {
    files: ['bin/**/*.mjs', 'scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', setTimeout: 'readonly', console: 'readonly' } },
  },
  {
    files: ['test/**', 'bench/**', 'scripts/**', 'idp/**', 'field-api/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
