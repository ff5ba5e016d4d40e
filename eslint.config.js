import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/*
 * The layers (docs/architecture.md), enforced here:
 *   src/main/core      plain TypeScript: no Electron, no adapter but its types, no native module
 *                      but the Argon2id binding (core/secrets/argon2-params.ts)
 *   src/main/adapters  SQLite, keychain, OS events, private files: never the app, shell or CLI
 *   src/main/app       the composition root and IPC, shared by the Electron shell and the web host
 *   src/main/shell     the Electron shell: the only importer of electron (through electron-api.ts)
 *   src/main/cli       the command line's entry, on core and adapters
 *   webhost, idp, field-api: development tools outside the product tree
 * Only the modules that own them may import electron, keytar, better-sqlite3 or @node-rs/argon2.
 */
const owners = {
  electron: ['src/main/shell/electron-api.ts', 'src/preload/index.ts'],
  keytar: ['src/main/adapters/keychain/keytar-secret-store.ts'],
  'better-sqlite3': ['src/main/adapters/sqlite/database.ts'],
  '@node-rs/argon2': ['src/main/core/secrets/argon2-params.ts'],
};

const packageRule = (except) =>
  Object.keys(owners)
    .filter((name) => name !== except)
    .map((name) => ({ name, message: `only ${owners[name].join(', ')} may import '${name}'` }));

const layer = (name, why) => ({ group: [`**/${name}/**`, `**/${name}`], message: why });
const ELECTRON_API = { group: ['**/shell/electron-api'], message: 'only the Electron shell (src/main/shell) may use the Electron API' };
const DEV = [
  layer('webhost', 'the web host is a development tool'),
  layer('idp', 'the demo IdP is a development tool'),
  layer('field-api', 'the demo Field API is a development tool'),
];

/** `@typescript-eslint/no-restricted-imports` options for one layer. */
const rule = (patterns, except) => ['error', { paths: packageRule(except), patterns }];

const coreRule = (except) =>
  rule(
    [
      { ...layer('adapters', 'the core uses adapters through the types it is given, never their code'), allowTypeImports: true },
      layer('app', 'the core never imports the composition root'),
      layer('shell', 'the core never imports the Electron shell'),
      layer('cli', 'the core never imports the command line'),
      ...DEV,
    ],
    except,
  );
const ADAPTERS = (except) =>
  rule(
    [
      layer('app', 'adapters never import the composition root'),
      layer('shell', 'adapters never import the Electron shell'),
      layer('cli', 'adapters never import the command line'),
      ...DEV,
    ],
    except,
  );
const APP = rule([
  layer('shell', 'the composition root never imports the Electron shell'),
  layer('cli', 'the composition root never imports the command line'),
  ...DEV,
]);
const CLI = rule([
  layer('shell', 'the command line never imports the Electron shell'),
  layer('app', 'the command line builds its own parts'),
  ...DEV,
]);
const SHELL = (except) => rule([...DEV], except);
const WEBHOST = rule([{ group: ['**/src/main/shell/**'], message: 'the web host never imports the Electron shell' }]);
const BROWSER = rule([{ group: ['**/main/**'], message: 'the renderer and shared code never import the main process' }]);

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', 'docs/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/no-restricted-imports': rule([ELECTRON_API]),
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['src/main/core/**'], rules: { '@typescript-eslint/no-restricted-imports': coreRule() } },
  { files: ['src/main/adapters/**'], rules: { '@typescript-eslint/no-restricted-imports': ADAPTERS() } },
  { files: owners.keytar, rules: { '@typescript-eslint/no-restricted-imports': ADAPTERS('keytar') } },
  { files: owners['better-sqlite3'], rules: { '@typescript-eslint/no-restricted-imports': ADAPTERS('better-sqlite3') } },
  // The one native module inside the core: Argon2id (docs/architecture.md says why).
  { files: owners['@node-rs/argon2'], rules: { '@typescript-eslint/no-restricted-imports': coreRule('@node-rs/argon2') } },
  { files: ['src/main/app/**'], rules: { '@typescript-eslint/no-restricted-imports': APP } },
  // npm start's demo servers: dev-only, imported lazily and never by a packaged app.
  {
    files: ['src/main/app/demo-idp-launcher.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': rule([layer('shell', 'the composition root never imports the Electron shell')]) },
  },
  { files: ['src/main/cli/**'], rules: { '@typescript-eslint/no-restricted-imports': CLI } },
  { files: ['src/main/shell/**', 'src/main/index.ts'], rules: { '@typescript-eslint/no-restricted-imports': SHELL() } },
  { files: ['src/main/shell/electron-api.ts'], rules: { '@typescript-eslint/no-restricted-imports': SHELL('electron') } },
  {
    files: ['src/preload/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': rule(
        [{ group: ['**/main/**', '**/renderer/**'], message: 'the preload uses the shared contract only' }],
        'electron',
      ),
    },
  },
  { files: ['src/renderer/**', 'src/shared/**'], rules: { '@typescript-eslint/no-restricted-imports': BROWSER } },
  { files: ['webhost/**'], rules: { '@typescript-eslint/no-restricted-imports': WEBHOST } },
  {
    files: ['bin/**/*.mjs', 'scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', setTimeout: 'readonly', console: 'readonly' } },
  },
  {
    files: ['test/**', 'bench/**', 'scripts/**', 'idp/**', 'field-api/**'],
    rules: { '@typescript-eslint/no-restricted-imports': 'off' },
  },
);
