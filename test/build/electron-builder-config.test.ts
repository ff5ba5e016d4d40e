/**
 * electron-builder.yml, checked the way `electron-builder` itself loads and validates it (its own
 * config loader and JSON-schema validation), plus the security settings IT and reviewers rely on.
 * Installers cannot be built here (no Electron download), so this is what keeps the config honest in CI.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppInfo, Packager } from 'app-builder-lib';
import { getFileMatchers } from 'app-builder-lib/out/fileMatcher.js';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { resolveFunction } from 'app-builder-lib/out/util/resolve.js';
import { DebugLogger } from 'builder-util';
import { parse as parsePlist } from 'plist';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type Configuration = Awaited<ReturnType<typeof getConfig>>;

const root = fileURLToPath(new URL('../..', import.meta.url));
const configFile = join(root, 'electron-builder.yml');
const configText = readFileSync(configFile, 'utf8');
const releaseConfigFile = join(root, 'electron-builder.release.yml');

/** Loads a config file exactly as `electron-builder --config FILE` does (YAML parsing, `extends`). */
function load(file: string): Promise<Configuration> {
  return getConfig(root, file, null);
}

/** electron-builder's own validation: the schema in app-builder-lib/scheme.json plus its deprecation checks. */
function validate(config: Configuration): Promise<void> {
  return validateConfiguration(config, new DebugLogger(false));
}

function targetNames(target: unknown): string[] {
  const list = Array.isArray(target) ? target : target == null ? [] : [target];
  return list.map((t: unknown) => (typeof t === 'string' ? t : String((t as { target: string }).target)));
}

function fileStat(): Stats {
  return { isDirectory: () => false, isFile: () => true } as Stats;
}

let config: Configuration;
let release: Configuration;
beforeAll(async () => {
  config = await load(configFile);
  release = await load(releaseConfigFile);
});

describe('electron-builder.yml against electron-builder’s own validation', () => {
  it('the real file loads and validates', async () => {
    expect(config.appId).toBe('com.fieldkey.app');
    expect(config.productName).toBe('FieldKey');
    await expect(validate(config)).resolves.toBeUndefined();
  });

  describe('a broken copy is rejected with an error naming the key', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'fieldkey-builder-config-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const cases: Array<{ name: string; edit: (text: string) => string; error: RegExp }> = [
      {
        name: 'unknown top-level key',
        edit: (t) => `${t}\nperMachine: true\n`,
        error: /configuration has an unknown property 'perMachine'/,
      },
      { name: 'misspelt top-level key', edit: (t) => t.replace(/^npmRebuild:/m, 'npmRebuilt:'), error: /unknown property 'npmRebuilt'/ },
      {
        name: 'wrong type at the top level',
        edit: (t) => t.replace(/^npmRebuild: true$/m, 'npmRebuild: sometimes'),
        error: /configuration\.npmRebuild should be a boolean/,
      },
      { name: 'wrong type for asar', edit: (t) => t.replace(/^asar: true$/m, 'asar: [yes]'), error: /configuration\.asar\b/ },
      // Inside an object that may also be null, electron-builder names the containing object.
      {
        name: 'unknown fuse',
        edit: (t) => t.replace(/^ {2}runAsNode: false$/m, '  runAsNode: false\n  runAsNodeFromCli: false'),
        error: /configuration\.electronFuses\b/,
      },
      {
        name: 'wrong type for a fuse',
        edit: (t) => t.replace(/^ {2}onlyLoadAppFromAsar: true$/m, '  onlyLoadAppFromAsar: always'),
        error: /configuration\.electronFuses\b/,
      },
      {
        name: 'wrong type for nsis.perMachine',
        edit: (t) => t.replace(/^ {2}perMachine: true$/m, '  perMachine: everyone'),
        error: /configuration\.nsis\b/,
      },
      { name: 'unknown mac target', edit: (t) => t.replace(/^ {4}- pkg$/m, '    - msix'), error: /configuration\.mac\b/ },
    ];

    it.each(cases)('$name', async ({ name, edit, error }) => {
      const text = edit(configText);
      expect(text, 'the edit must change the file').not.toBe(configText);
      const file = join(dir, `${name.replace(/\W+/g, '-')}.yml`);
      writeFileSync(file, text);
      const broken = await load(file);
      await expect(validate(broken)).rejects.toThrow(error);
    });
  });
});

describe('electron-builder.release.yml (release builds)', () => {
  it('loads through `extends` and passes electron-builder’s own validation', async () => {
    expect(release.extends).toBe('./electron-builder.yml');
    await expect(validate(release)).resolves.toBeUndefined();
  });

  it('is the base config plus a build that fails unsigned and the Windows sign hook, nothing else', () => {
    const { forceCodeSigning, extends: _parent, win, ...rest } = release;
    const { signtoolOptions, ...winRest } = win ?? {};
    expect(forceCodeSigning).toBe(true);
    expect(config.forceCodeSigning ?? false).toBe(false);
    expect(signtoolOptions).toEqual({ sign: './scripts/sign-windows.mjs', signingHashAlgorithms: ['sha256'] });
    expect({ ...rest, win: winRest }).toEqual({ ...config, win: config.win });
  });

  it('names a sign hook that electron-builder resolves to a function inside the project', async () => {
    const hook: unknown = await resolveFunction('module', release.win?.signtoolOptions?.sign as string, 'sign', root);
    expect(hook).toBeTypeOf('function');
    expect(existsSync(join(root, release.win?.signtoolOptions?.sign as string))).toBe(true);
  });
});

describe('security settings', () => {
  it.each([
    ['runAsNode', false],
    ['enableNodeOptionsEnvironmentVariable', false],
    ['enableNodeCliInspectArguments', false],
    ['enableEmbeddedAsarIntegrityValidation', true],
    ['onlyLoadAppFromAsar', true],
    ['enableCookieEncryption', true],
    ['grantFileProtocolExtraPrivileges', false],
    ['loadBrowserProcessSpecificV8Snapshot', false],
  ] as const)('fuse %s is %s', (fuse, value) => {
    expect(config.electronFuses?.[fuse]).toBe(value);
  });

  it('packs the app into an asar whose integrity is not disabled', () => {
    expect(config.asar).toBe(true);
    expect(config.disableAsarIntegrity ?? false).toBe(false);
  });

  it('installs per machine on Windows, silently and without launching the app afterwards', () => {
    expect(config.nsis).toMatchObject({ oneClick: false, perMachine: true, runAfterFinish: false, deleteAppDataOnUninstall: false });
    expect(config.msi).toMatchObject({ perMachine: true, runAfterFinish: false });
    expect(config.msi?.upgradeCode).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
  });

  it('installs into /Applications on macOS, never a home folder or a moved copy', () => {
    expect(config.pkg).toMatchObject({ installLocation: '/Applications', allowCurrentUserHome: false, isRelocatable: false });
  });

  it.each([
    ['win', ['nsis', 'msi']],
    ['mac', ['pkg', 'dmg']],
    ['linux', ['deb', 'rpm', 'AppImage']],
  ] as const)('builds the %s targets IT tools take: %j', (platform, targets) => {
    expect(targetNames(config[platform]?.target).sort()).toEqual([...targets].sort());
  });

  it('signs macOS builds with the hardened runtime and JIT as the only entitlement', () => {
    expect(config.mac?.hardenedRuntime).toBe(true);
    for (const file of [config.mac?.entitlements, config.mac?.entitlementsInherit]) {
      expect(file).toBeTypeOf('string');
      const entitlements = parsePlist(readFileSync(join(root, file as string), 'utf8'));
      expect(entitlements).toEqual({ 'com.apple.security.cs.allow-jit': true });
    }
  });

  it.each([
    ['electron-builder.yml', () => config, configText],
    ['electron-builder.release.yml', () => release, readFileSync(releaseConfigFile, 'utf8')],
  ])('%s reads no signing secret from the file: no signing keys in the config, no key material in the text', (_file, loaded, text) => {
    const offending: string[] = [];
    const walk = (value: unknown, path: string): void => {
      if (value === null || typeof value !== 'object') return;
      for (const [key, child] of Object.entries(value)) {
        if (/csc|password|certificate|secret|token|apple_?id|api_?key|keychain/i.test(key)) offending.push(`${path}.${key}`);
        walk(child, `${path}.${key}`);
      }
    };
    walk(loaded(), 'configuration');
    expect(offending).toEqual([]);
    expect(text).not.toMatch(/-----BEGIN/);
    expect(text).not.toMatch(/[A-Za-z0-9+/]{64,}/);
  });

  it('publishes nowhere: no auto-update feed', () => {
    expect(config.publish).toBeNull();
  });
});

describe('native modules', () => {
  const nativePackages = ['better-sqlite3', 'keytar', '@node-rs/argon2'];

  function nodeFiles(dir: string): string[] {
    return readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.node'))
      .map((f) => join(dir, f));
  }

  /** The packaged files of each native module, as installed here: its .node binaries and its entry point. */
  function moduleFiles(): string[] {
    const files: string[] = [];
    const scoped = readdirSync(join(root, 'node_modules/@node-rs')).map((d) => join(root, 'node_modules/@node-rs', d));
    for (const dir of [join(root, 'node_modules/better-sqlite3'), join(root, 'node_modules/keytar'), ...scoped]) {
      files.push(...nodeFiles(dir));
      const main = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { main?: string }).main ?? 'index.js';
      files.push(join(dir, main));
    }
    return files;
  }

  it.each(['win', 'mac', 'linux'] as const)('are unpacked from the asar on %s, and the app code is not', (platform) => {
    const matchers = getFileMatchers(config, 'asarUnpack', join(root, 'dist/app'), {
      macroExpander: (pattern) => pattern,
      customBuildOptions: config[platform] ?? {},
      globalOutDir: join(root, 'dist'),
      defaultSrc: root,
    });
    expect(matchers).not.toBeNull();
    const unpacked = matchers![0]!.createFilter();
    const files = moduleFiles();
    for (const pkg of nativePackages)
      expect(
        files.some((f) => f.includes(`node_modules/${pkg}`)),
        pkg,
      ).toBe(true);
    expect(files.filter((f) => f.endsWith('.node')).length).toBeGreaterThanOrEqual(3);
    for (const file of files) expect(unpacked(file, statSync(file)), relative(root, file)).toBe(true);
    // Only what must be on disk leaves the asar: the rest stays under its integrity hash.
    for (const file of [
      'out/main/index.js',
      'out/preload/index.mjs',
      'out/renderer/index.html',
      'node_modules/jose/package.json',
      'package.json',
    ]) {
      expect(unpacked(join(root, file), fileStat()), file).toBe(false);
    }
  });

  it('are rebuilt for Electron at packaging time, and package.json has no install-time script', () => {
    expect(config.npmRebuild).toBe(true);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
    const scripts = pkg.scripts ?? {};
    for (const hook of ['preinstall', 'install', 'postinstall']) expect(scripts[hook], hook).toBeUndefined();
    expect(scripts.dist).toMatch(/electron-builder --publish never/);
  });
});

describe('packaged files and metadata', () => {
  it('packages the electron-vite output and nothing from the sources', () => {
    const matchers = getFileMatchers(config, 'files', join(root, 'dist/app'), {
      macroExpander: (pattern) => pattern,
      customBuildOptions: {},
      globalOutDir: join(root, 'dist'),
      defaultSrc: root,
    });
    const included = matchers![0]!.createFilter();
    for (const file of ['out/main/index.js', 'out/preload/index.mjs', 'out/renderer/index.html', 'out/renderer/assets/index.js']) {
      expect(included(join(root, file), fileStat()), file).toBe(true);
    }
    for (const file of [
      'src/main/core/clock.ts',
      'test/build/electron-builder-config.test.ts',
      'electron-builder.yml',
      'scripts/test.sh',
      '.env',
      'out/cli/fieldkey.mjs',
    ]) {
      expect(included(join(root, file), fileStat()), file).toBe(false);
    }
  });

  it('passes the checks `electron-builder` runs before building, with the metadata deb, rpm and MSI need', async () => {
    // Packager.validateConfig: loads the config, merges extraMetadata into package.json's metadata,
    // checks the metadata and validates the schema, all before anything is downloaded or built.
    const packager = new Packager({ projectDir: root });
    await packager.validateConfig();
    const app = new AppInfo(packager, null);
    expect(app.id).toBe('com.fieldkey.app');
    expect(app.productFilename).toBe('FieldKey');
    expect(app.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(app.linuxPackageName).toBe('fieldkey');
    expect(app.companyName, 'MSI manufacturer and Windows publisher').toBeTruthy();
    expect(await app.computePackageUrl(), 'deb and rpm refuse to build without a homepage').toMatch(/^https:\/\//);
    expect(config.linux?.maintainer).toMatch(/^.+ <[^@\s]+@[^@\s]+>$/);
    expect(config.linux?.executableName).toBe('fieldkey');
  });

  it('installs the console wrapper fieldkey.cmd beside FieldKey.exe on Windows: it waits for the exe and passes its exit status', () => {
    const extra = config.win?.extraFiles;
    expect(extra).toEqual([{ from: 'build/win/fieldkey.cmd', to: 'fieldkey.cmd' }]);
    const text = readFileSync(join(root, 'build/win/fieldkey.cmd'), 'utf8');
    // cmd.exe reads batch files line by line: CRLF throughout, nothing left bare.
    expect(text.split('\r\n').every((line) => !line.includes('\n'))).toBe(true);
    const lines = text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('@echo off');
    const commands = lines.filter((line) => !/^rem\b/i.test(line));
    expect(commands).toEqual(['@echo off', 'setlocal', `start "" /b /wait "%~dp0${config.productName}.exe" %*`, 'exit /b %ERRORLEVEL%']);
    // Comments hold no character cmd.exe could act on.
    for (const line of lines.filter((l) => /^rem\b/i.test(l))) expect(line, line).not.toMatch(/[<>|&%^]/);
  });

  it('has a PNG icon of at least 512x512 and the resources it names', () => {
    const icon = readFileSync(join(root, config.icon as string));
    expect(icon.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(icon.readUInt32BE(16)).toBeGreaterThanOrEqual(512);
    expect(icon.readUInt32BE(20)).toBeGreaterThanOrEqual(512);
    expect(existsSync(join(root, config.directories?.buildResources ?? 'build'))).toBe(true);
  });
});
