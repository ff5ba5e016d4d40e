/**
 * docs/deploy.md must match what the build really produces: artifact names expanded from
 * electron-builder.yml by electron-builder's own macro expander, install paths, the MSI upgrade code,
 * the detection facts (NSIS uninstall key, file version, ProductCode) from electron-builder's own code
 * and templates, the signing variables electron-builder and the sign hook read, the release config,
 * FieldKey's data locations, the policy defaults and the strict profile.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppInfo, Packager } from 'app-builder-lib';
import { getConfig } from 'app-builder-lib/out/util/config/config.js';
import { expandMacro } from 'app-builder-lib/out/util/macroExpander.js';
import { Arch } from 'builder-util';
import { getArtifactArchName } from 'builder-util/out/arch.js';
import { UUID } from 'builder-util-runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { databaseFile, keychainService, logDir } from '../../src/main/core/environment';
import { LOG_FILE_NAME } from '../../src/main/adapters/logging/log-file';
import { parsePolicy } from '../../src/main/core/policy/parse-policy';
import { DEFAULT_POLICY_FIELDS } from '../../src/main/core/policy/policy-defaults';

const root = fileURLToPath(new URL('../..', import.meta.url));
const doc = readFileSync(join(root, 'docs/deploy.md'), 'utf8');
const builderFile = (path: string): string => readFileSync(join(root, 'node_modules/app-builder-lib', path), 'utf8');
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

  it('gives the NSIS uninstall key electron-builder derives from the app id', () => {
    // NsisTarget: guid = UUID.v5(appId, ELECTRON_BUILDER_NS_UUID), the key name when no nsis.guid is set.
    const namespace = /ELECTRON_BUILDER_NS_UUID = builder_util_runtime_1\.UUID\.parse\("([0-9a-f-]{36})"\)/.exec(
      builderFile('out/targets/nsis/NsisTarget.js'),
    )?.[1];
    expect(namespace).toBeDefined();
    expect((config.nsis as { guid?: string } | null | undefined)?.guid).toBeUndefined();
    const guid = UUID.v5(app.id, UUID.parse(namespace!));
    expect(doc).toContain(
      `HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\${guid}\`, value \`DisplayVersion\``,
    );
    expect(builderFile('templates/nsis/include/installer.nsh')).toContain('"${UNINSTALL_REGISTRY_KEY}" "DisplayVersion" "${VERSION}"');
  });

  it('says why ProductCode detection breaks: the MSI template asks for a new ProductCode each build', () => {
    expect(builderFile('templates/msi/template.xml')).toMatch(/<Product Id="\*"/);
    expect(doc).toContain('**ProductCode is new in every build**');
  });

  it('gives the file version electron-builder stamps on the executable', () => {
    expect(builderFile('out/winPackager.js')).toContain('fileVersion: appInfo.shortVersion || appInfo.buildVersion');
    // Neither is fixed in the config, so the file version is package.json's version (plus a CI build number).
    expect([config.buildVersion ?? null, config.buildNumber ?? null]).toEqual([null, null]);
    expect(doc).toContain('followed by `.<build number>` when the build machine sets a CI build number (`BUILD_NUMBER` and the like)');
    expect(builderFile('out/appInfo.js')).toContain('process.env.BUILD_NUMBER');
  });

  it('gives the NSIS exit code for a failed uninstall of the previous version', () => {
    expect(builderFile('templates/nsis/include/installUtil.nsh')).toMatch(/Uninstall was not successful[\s\S]*SetErrorLevel 2/);
    expect(doc).toContain('The NSIS installer exits 0 on success and 2 when the uninstaller of the version it\nreplaces fails.');
  });

  it('gives the release build command, for a release config that forces signing', async () => {
    const command = 'npm run dist -- --config electron-builder.release.yml';
    expect(doc).toContain(command);
    const release = await getConfig(root, join(root, command.split(' ').pop()!), null);
    expect(release.forceCodeSigning).toBe(true);
    expect(release.win?.signtoolOptions?.sign).toBe('./scripts/sign-windows.mjs');
    expect(doc).toContain('`scripts/sign-windows.mjs`');
  });

  it('names exactly the variables the Windows sign hook reads', () => {
    const hook = readFileSync(join(root, 'scripts/sign-windows.mjs'), 'utf8');
    const read = new Set(hook.match(/env\.(FIELDKEY_[A-Z0-9_]+)/g)?.map((m) => m.slice(4)));
    const documented = new Set(doc.match(/\bFIELDKEY_[A-Z0-9_]+/g));
    expect(read.size).toBeGreaterThan(0);
    expect([...documented].sort()).toEqual([...read].sort());
  });

  it('names only signing variables that electron-builder reads', () => {
    const named = new Set(doc.match(/\b(?:WIN_)?CSC_[A-Z_]+|\bAPPLE_[A-Z_]+/g) ?? []);
    expect([...named]).toEqual(
      expect.arrayContaining([
        'CSC_LINK',
        'CSC_KEY_PASSWORD',
        'WIN_CSC_LINK',
        'WIN_CSC_KEY_PASSWORD',
        'APPLE_ID',
        'APPLE_APP_SPECIFIC_PASSWORD',
        'APPLE_TEAM_ID',
      ]),
    );
    const sources = ['node_modules/app-builder-lib/out', 'node_modules/builder-util/out']
      .flatMap((dir) =>
        readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
          .filter((f) => f.endsWith('.js'))
          .map((f) => join(root, dir, f)),
      )
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

  it.each([
    ['win32', { LOCALAPPDATA: '%LOCALAPPDATA%' }],
    ['darwin', { HOME: '~' }],
    ['linux', { HOME: '~' }],
  ] as const)('gives the %s log file location', (platform, env) => {
    const file = join(logDir(env, platform), LOG_FILE_NAME).replaceAll('\\', '/');
    const documented = (doc.match(/`[^`]*fieldkey\.log`/g) ?? []).map((m) => m.slice(1, -1).replaceAll('\\', '/'));
    expect(documented).toContain(file);
  });

  it('gives the keychain service name', () => {
    expect(doc).toContain(`service \`${keychainService({})}\``);
  });

  it.each([
    ['gracePeriodHours', DEFAULT_POLICY_FIELDS.gracePeriodHours],
    ['readOnlyHours', DEFAULT_POLICY_FIELDS.readOnlyHours === null ? 'none (until the check-in)' : DEFAULT_POLICY_FIELDS.readOnlyHours],
    ['checkInIntervalDays', DEFAULT_POLICY_FIELDS.checkInIntervalDays],
    ['jwksRefreshDays', DEFAULT_POLICY_FIELDS.jwksRefreshDays],
    ['refreshRetryWindowSeconds', DEFAULT_POLICY_FIELDS.refreshRetryWindowSeconds],
    ['clockSkewSeconds', DEFAULT_POLICY_FIELDS.clockSkewSeconds],
    ['pin.maxAttempts', DEFAULT_POLICY_FIELDS.pin.maxAttempts],
  ])('the trade-off table gives the default of %s (%s)', (field, value) => {
    expect(doc).toContain(`| \`${field}\` (policy) | ${value} |`);
  });

  it('gives the strict profile as a policy fragment that validates', () => {
    const fragment = /\*\*The strict profile\*\*[\s\S]*?```json\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(JSON.parse(fragment!)).toEqual({ gracePeriodHours: 0, readOnlyHours: 24 });
    const policy = parsePolicy(
      JSON.stringify({ issuer: 'https://auth.acme.com', clientId: 'fieldkey', ...JSON.parse(fragment!) }),
      'strict profile',
    );
    expect([policy.gracePeriodHours, policy.readOnlyHours]).toEqual([0, 24]);
  });

  it.each(['policy.md', 'support.md', 'idp/fusionauth.md', 'idp/entra-id.md', 'idp/okta.md', 'idp/keycloak.md', '../idp/README.md'])(
    'links %s, which exists',
    (target) => {
      expect(doc).toMatch(new RegExp(`\\]\\(${target.replace(/[.?/]/g, '\\$&')}(#[a-z0-9-]+)?\\)`));
      expect(existsSync(join(root, 'docs', target))).toBe(true);
    },
  );
});

describe('the IT guides beside docs/deploy.md', () => {
  const docsDir = join(root, 'docs');
  const guides = ['support.md', ...readdirSync(join(docsDir, 'idp')).map((f) => `idp/${f}`)];
  const text = (file: string): string => readFileSync(join(docsDir, file), 'utf8');
  /** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
  const anchors = (markdown: string): string[] =>
    [...markdown.matchAll(/^#{1,4} (.+)$/gm)].map((m) =>
      m[1]!
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    );

  it('has the four identity provider guides and the support runbook', () => {
    expect(guides.sort()).toEqual(['idp/entra-id.md', 'idp/fusionauth.md', 'idp/keycloak.md', 'idp/okta.md', 'support.md']);
  });

  it.each([...guides, 'deploy.md'])('%s links only to files and headings that exist', (file) => {
    for (const [, target, anchor] of text(file).matchAll(/\]\((?!https?:)([^)#\s]*)(?:#([^)\s]+))?\)/g)) {
      const linked = target ? join(docsDir, file, '..', target) : join(docsDir, file);
      expect(existsSync(linked), `${file} -> ${target}`).toBe(true);
      if (anchor && linked.endsWith('.md'))
        expect(anchors(readFileSync(linked, 'utf8')), `${file} -> ${target}#${anchor}`).toContain(anchor);
    }
  });

  it.each(guides.filter((f) => f.startsWith('idp/')))('%s: every policy example validates', (file) => {
    const examples = [...text(file).matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(examples.length).toBeGreaterThan(0);
    for (const example of examples) expect(() => parsePolicy(example, file)).not.toThrow();
  });

  it('the support runbook names only codes FieldKey has', () => {
    const sources = ['src/main', 'src/shared']
      .flatMap((dir) =>
        readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
          .filter((f) => f.endsWith('.ts'))
          .map((f) => readFileSync(join(root, dir, f), 'utf8')),
      )
      .join('\n');
    const runbook = text('support.md');
    const codes = new Set([
      ...[...runbook.matchAll(/\b(?:PROBLEM|NOTE|DENIED \() ?([a-z]+(?:_[a-z]+)+)/g)].map((m) => m[1]!),
      // `code`: and `code` | (the app's codes), `code`, `code` or (lists of doctor codes); not other snake_case names.
      ...[...runbook.matchAll(/`([a-z]+(?:_[a-z]+)+)`(?=[:,]|\s+or\b| \(then| \|)/g)].map((m) => m[1]!),
    ]);
    expect(codes.size).toBeGreaterThanOrEqual(20);
    for (const code of codes) expect(sources, code).toContain(`'${code}'`);
  });

  it('the FusionAuth guide gives the per-tenant discovery URL in its policy', () => {
    const policy = parsePolicy(/```json\n([\s\S]*?)```/.exec(text('idp/fusionauth.md'))![1]!, 'fusionauth.md');
    expect(policy.issuer).toBe('acme.com');
    expect(policy.discoveryUrl).toMatch(/^https:\/\/[^/]+\/[0-9a-f-]{36}\/\.well-known\/openid-configuration$/);
  });
});
