/**
 * docs/deploy.md must match what the build really produces: artifact names expanded from
 * electron-builder.yml by electron-builder's own macro expander, install paths, the MSI upgrade code,
 * the signing variables electron-builder reads, FieldKey's data locations and the policy defaults.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppInfo, Packager } from 'app-builder-lib';
import { expandMacro } from 'app-builder-lib/out/util/macroExpander.js';
import { Arch } from 'builder-util';
import { getArtifactArchName } from 'builder-util/out/arch.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { databaseFile, keychainService } from '../../src/main/environment';
import { DEFAULT_POLICY_FIELDS } from '../../src/main/policy/policy-defaults';

const root = fileURLToPath(new URL('../..', import.meta.url));
const doc = readFileSync(join(root, 'docs/deploy.md'), 'utf8');
let config: Packager['config'];
/** electron-builder's view of the app, with the placeholder version the doc uses. */
let app: AppInfo;
beforeAll(async () => {
  const packager = new Packager({ projectDir: root });
  await packager.validateConfig();
  config = packager.config;
  app = Object.create(new AppInfo(packager, null), { version: { value: 'x.y.z' } }) as AppInfo;
});

/** The file name electron-builder gives an artifact (its own macro expansion of the artifactName pattern). */
function artifact(pattern: string | null | undefined, ext: string, arch: Arch): string {
  expect(pattern, `artifactName for ${ext}`).toBeTypeOf('string');
  return expandMacro(pattern as string, getArtifactArchName(arch, ext), app, { ext });
}

describe('docs/deploy.md matches electron-builder.yml', () => {
  it.each([
    ['NSIS', () => artifact(config.nsis?.artifactName, 'exe', Arch.x64), 'FieldKey-Setup-x.y.z.exe /S'],
    ['MSI', () => artifact(config.msi?.artifactName, 'msi', Arch.x64), 'msiexec /i FieldKey-x.y.z.msi /qn ALLUSERS=1'],
    ['pkg', () => artifact(config.pkg?.artifactName, 'pkg', Arch.arm64), 'sudo installer -pkg FieldKey-x.y.z-arm64.pkg -target /'],
    ['dmg', () => artifact(config.dmg?.artifactName, 'dmg', Arch.arm64), 'FieldKey-x.y.z-arm64.dmg'],
    ['deb', () => artifact(config.deb?.artifactName, 'deb', Arch.x64), 'sudo apt install ./fieldkey_x.y.z_amd64.deb'],
    ['rpm', () => artifact(config.rpm?.artifactName, 'rpm', Arch.x64), 'sudo dnf install ./fieldkey-x.y.z.x86_64.rpm'],
    ['AppImage', () => artifact(config.appImage?.artifactName, 'AppImage', Arch.x64), 'FieldKey-x.y.z-x86_64.AppImage'],
  ])('%s: the doc names the file electron-builder writes, in its install command', (_target, name, command) => {
    const file = name();
    expect(command).toContain(file);
    expect(doc).toContain(file);
    expect(doc).toContain(command);
  });

  it('gives the install paths electron-builder uses for the executable', () => {
    const product = app.productFilename;
    expect(doc).toContain(`"C:\\Program Files\\${product}\\${product}.exe" doctor --json`);
    expect(doc).toContain(`"C:\\Program Files\\${product}\\Uninstall ${product}.exe" /S`);
    expect(doc).toContain(`/Applications/${product}.app/Contents/MacOS/${product} doctor`);
    expect(doc).toContain(`/opt/${product}/${config.linux?.executableName as string} doctor`);
  });

  it('gives the MSI upgrade code the config fixes', () => {
    expect(doc).toContain(`{${config.msi?.upgradeCode as string}}`);
  });

  it('names only signing variables that electron-builder reads', () => {
    const named = new Set(doc.match(/\b(?:WIN_)?CSC_[A-Z_]+|\bAPPLE_[A-Z_]+/g) ?? []);
    expect([...named]).toEqual(expect.arrayContaining(['CSC_LINK', 'CSC_KEY_PASSWORD', 'WIN_CSC_LINK', 'WIN_CSC_KEY_PASSWORD', 'APPLE_ID', 'APPLE_APP_SPECIFIC_PASSWORD', 'APPLE_TEAM_ID']));
    const sources = ['node_modules/app-builder-lib/out', 'node_modules/builder-util/out']
      .flatMap((dir) => readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js')).map((f) => join(root, dir, f)))
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    for (const name of named) expect(sources, name).toMatch(new RegExp(`(process\\.env\\.${name}\\b|["']${name}["'])`));
  });
});

describe('docs/deploy.md matches FieldKey', () => {
  it.each([
    ['win32', { LOCALAPPDATA: '%LOCALAPPDATA%' }],
    ['darwin', { HOME: '~' }],
    ['linux', { HOME: '~' }],
  ] as const)('gives the %s database location', (platform, env) => {
    const file = databaseFile(env, platform).replaceAll('\\', '/');
    const documented = (doc.match(/`[^`]*fieldkey\.db`/g) ?? []).map((m) => m.slice(1, -1).replaceAll('\\', '/'));
    expect(documented).toContain(file);
  });

  it('gives the keychain service name', () => {
    expect(doc).toContain(`service \`${keychainService({})}\``);
  });

  it.each([
    ['gracePeriodHours', DEFAULT_POLICY_FIELDS.gracePeriodHours],
    ['checkInIntervalDays', DEFAULT_POLICY_FIELDS.checkInIntervalDays],
    ['jwksRefreshDays', DEFAULT_POLICY_FIELDS.jwksRefreshDays],
    ['clockSkewSeconds', DEFAULT_POLICY_FIELDS.clockSkewSeconds],
    ['pin.maxAttempts', DEFAULT_POLICY_FIELDS.pin.maxAttempts],
  ])('the trade-off table gives the default of %s (%s)', (field, value) => {
    expect(doc).toContain(`| \`${field}\` (policy) | ${value} |`);
  });

  it('links the policy reference and the FusionAuth walk-through', () => {
    expect(doc).toContain('](policy.md)');
    expect(doc).toContain('](../idp/README.md#configuring-fusionauth-for-fieldkey)');
  });
});
