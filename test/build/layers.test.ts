/**
 * The layer rules of eslint.config.js, run by ESLint itself on code placed in each layer: a
 * wrong-way import fails, the same import the right way passes, and a type-only import of an
 * adapter from the core passes.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
}

describe('layer rules', () => {
  it.each([
    [
      'the core importing an adapter',
      'src/main/core/auth/x.ts',
      "import { openDatabase } from '../../adapters/sqlite/database';\nvoid openDatabase;",
      /through the types it is given/,
    ],
    [
      'the core importing the composition root',
      'src/main/core/auth/x.ts',
      "import { startAppRuntime } from '../../app/app-runtime';\nvoid startAppRuntime;",
      /composition root/,
    ],
    ['the core importing electron', 'src/main/core/auth/x.ts', "import { app } from 'electron';\nvoid app;", /may import 'electron'/],
    ['the core importing keytar', 'src/main/core/secrets/x.ts', "import keytar from 'keytar';\nvoid keytar;", /may import 'keytar'/],
    [
      'an adapter importing the shell',
      'src/main/adapters/os/x.ts',
      "import { installAutoLock } from '../../shell/hardening';\nvoid installAutoLock;",
      /adapters never import the Electron shell/,
    ],
    [
      'the composition root importing the shell',
      'src/main/app/x.ts',
      "import { bridgeIpc } from '../shell/ipc-bridge';\nvoid bridgeIpc;",
      /never imports the Electron shell/,
    ],
    [
      'anything outside the shell importing the Electron re-export',
      'src/main/app/x.ts',
      "import { app } from '../shell/electron-api';\nvoid app;",
      /Electron shell/,
    ],
    [
      'the web host importing the shell',
      'webhost/x.ts',
      "import { mainWindowOptions } from '../src/main/shell/window-options';\nvoid mainWindowOptions;",
      /never imports the Electron shell/,
    ],
    [
      'the renderer importing the main process',
      'src/renderer/x.ts',
      "import { FieldNotes } from '../main/core/notes/field-notes';\nvoid FieldNotes;",
      /never import the main process/,
    ],
    [
      'the core importing the demo IdP',
      'src/main/core/auth/x.ts',
      "import { startDemoIdp } from '../../../../idp/demo-idp';\nvoid startDemoIdp;",
      /development tool/,
    ],
  ])('%s fails', async (_name, file, code, message) => {
    const found = await problems(file, code);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it.each([
    [
      'the composition root importing an adapter',
      'src/main/app/x.ts',
      "import { openDatabase } from '../adapters/sqlite/database';\nvoid openDatabase;",
    ],
    [
      'the core importing an adapter type only',
      'src/main/core/auth/x.ts',
      "import type { Database } from '../../adapters/sqlite/database';\nexport type D = Database;",
    ],
    [
      'an adapter importing the core',
      'src/main/adapters/sqlite/x.ts',
      "import { migrations } from '../../core/records/migrations';\nvoid migrations;",
    ],
    [
      'the shell importing the composition root',
      'src/main/shell/x.ts',
      "import { startAppRuntime } from '../app/app-runtime';\nvoid startAppRuntime;",
    ],
    [
      'the keychain adapter importing keytar',
      'src/main/adapters/keychain/keytar-secret-store.ts',
      "import keytar from 'keytar';\nvoid keytar;",
    ],
  ])('%s passes', async (_name, file, code) => {
    expect(await problems(file, code)).toEqual([]);
  });
});
