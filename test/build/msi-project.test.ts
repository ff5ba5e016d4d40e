/**
 * The MSI's install-time properties (scripts/msi-project.mjs, electron-builder's msiProjectCreated
 * hook): run, as electron-builder resolves and calls it, on the WiX project electron-builder's own
 * MsiTarget writes for this config, and the result read back as XML. The registry values it writes
 * are checked against FieldKey's registry reader, the policy file's place against the machine-wide
 * path the app reads. WiX itself cannot run here, so the compiled MSI is not built.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DOMParser, type Document, type Element } from '@xmldom/xmldom';
import { Packager } from 'app-builder-lib';
import { getEffectiveOptions } from 'app-builder-lib/out/options/CommonWindowsInstallerConfiguration.js';
import MsiTargetModule from 'app-builder-lib/out/targets/MsiTarget.js';
import { resolveFunction } from 'app-builder-lib/out/util/resolve.js';
import { WinPackager } from 'app-builder-lib/out/winPackager.js';
import { Arch } from 'builder-util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { machinePolicyFile } from '../../src/main/core/policy/load-policy';
import { validatePolicyDocument } from '../../src/main/core/policy/parse-policy';
import { REGISTRY_KEY, registryToDocument } from '../../src/main/core/policy/windows-registry-policy';

type Hook = (projectFile: string) => Promise<void>;
interface MsiTargetLike {
  options: Parameters<typeof getEffectiveOptions>[0];
  writeManifest(appOutDir: string, arch: Arch, options: ReturnType<typeof getEffectiveOptions>): Promise<string>;
}

const root = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
let config: Packager['config'];
let original: string;
let project: Document;

/** The WiX project electron-builder writes for an app folder holding FieldKey.exe, fieldkey.cmd and the asar. */
async function electronBuilderProject(): Promise<string> {
  const packager = new Packager({ projectDir: root });
  await packager.validateConfig();
  config = packager.config;
  const win = new WinPackager(packager);
  // The icon's conversion to .ico needs a tool electron-builder downloads; the project only names it.
  Object.assign(win, { getIconPath: async () => null });
  const app = join(dir, 'win-unpacked');
  mkdirSync(join(app, 'resources'), { recursive: true });
  for (const file of ['FieldKey.exe', 'fieldkey.cmd', 'resources/app.asar']) writeFileSync(join(app, file), '');
  const MsiTarget = ((MsiTargetModule as { default?: unknown }).default ?? MsiTargetModule) as new (
    packager: WinPackager,
    outDir: string,
  ) => MsiTargetLike;
  const target = new MsiTarget(win, join(dir, 'out'));
  return target.writeManifest(app, Arch.x64, getEffectiveOptions(target.options, win));
}

function parse(text: string): Document {
  const errors: string[] = [];
  const document = new DOMParser({ onError: (level, message) => void (level !== 'warning' && errors.push(message)) }).parseFromString(
    text,
    'text/xml',
  );
  expect(errors).toEqual([]);
  return document;
}

function elements(parent: Document | Element, name: string): Element[] {
  return Array.from(parent.getElementsByTagName(name));
}

function byId(name: string, id: string): Element {
  const found = elements(project, name).filter((e) => e.getAttribute('Id') === id);
  expect(found, `${name} ${id}`).toHaveLength(1);
  return found[0]!;
}

function conditionOf(component: Element): string | undefined {
  return elements(component, 'Condition')[0]?.textContent ?? undefined;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fieldkey-msi-project-'));
  original = await electronBuilderProject();
  const file = join(dir, 'project.wxs');
  writeFileSync(file, original);
  const hook = await resolveFunction<Hook>('module', config.msiProjectCreated as string, 'msiProjectCreated', root);
  expect(hook).toBeTypeOf('function');
  await hook(file);
  project = parse(readFileSync(file, 'utf8'));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the MSI project electron-builder writes, with FieldKey’s install-time properties', () => {
  it('starts from electron-builder’s own project: no desktop shortcut of its own', () => {
    const before = parse(original);
    expect(elements(before, 'File').some((f) => f.getAttribute('Id') === 'mainExecutable')).toBe(true);
    expect(elements(before, 'Shortcut').map((s) => s.getAttribute('Id'))).toEqual(['startMenuShortcut']);
    expect(config.msi?.createDesktopShortcut).toBe(false);
  });

  it('declares ISSUER, CLIENT_ID, POLICY_FILE and DESKTOP_SHORTCUT as secure public properties', () => {
    for (const id of ['ISSUER', 'CLIENT_ID', 'POLICY_FILE']) {
      const property = byId('Property', id);
      expect(property.getAttribute('Secure')).toBe('yes');
      expect(property.hasAttribute('Value')).toBe(false);
    }
    expect(byId('Property', 'DESKTOP_SHORTCUT').getAttribute('Value')).toBe('1');
  });

  it('ISSUER and CLIENT_ID become the registry values FieldKey’s reader turns into a valid fleet policy', () => {
    const values = [
      ['policyIssuer', 'ISSUER', 'Issuer'],
      ['policyClientId', 'CLIENT_ID', 'ClientId'],
    ].map(([component, property, name]) => {
      const element = byId('Component', component!);
      expect(element.getAttribute('Permanent')).toBe('yes');
      expect(conditionOf(element)).toBe(property);
      const [value] = elements(element, 'RegistryValue');
      expect({
        root: value!.getAttribute('Root'),
        key: value!.getAttribute('Key'),
        name: value!.getAttribute('Name'),
        type: value!.getAttribute('Type'),
        value: value!.getAttribute('Value'),
      }).toEqual({
        root: 'HKLM',
        key: REGISTRY_KEY.replace(/^HKLM\\/, ''),
        name,
        type: 'string',
        value: `[${property}]`,
      });
      return value!;
    });
    // What msiexec ISSUER=... CLIENT_ID=... leaves in the registry, read as FieldKey reads it.
    const given: Record<string, string> = { ISSUER: 'https://auth.acme.com', CLIENT_ID: '85a03867-dccf-4882-adde-1a79aeec50df' };
    const written = values.map((v) => ({
      key: '',
      name: v.getAttribute('Name')!,
      type: 'REG_SZ',
      data: given[v.getAttribute('Value')!.slice(1, -1)]!,
    }));
    const { document, problems } = registryToDocument(written);
    expect(problems).toEqual([]);
    expect(validatePolicyDocument(document, REGISTRY_KEY)).toMatchObject({ issuer: given.ISSUER, clientId: given.CLIENT_ID });
  });

  it('POLICY_FILE is copied to the machine-wide policy file the app reads, in a folder only administrators can write', () => {
    const component = byId('Component', 'policyFile');
    expect(component.getAttribute('Permanent')).toBe('yes');
    expect(conditionOf(component)).toBe('POLICY_FILE');
    const [copy] = elements(component, 'CopyFile');
    expect({
      source: copy!.getAttribute('SourceProperty'),
      directory: copy!.getAttribute('DestinationDirectory'),
      name: copy!.getAttribute('DestinationName'),
    }).toEqual({
      source: 'POLICY_FILE',
      directory: 'FIELDKEYPROGRAMDATA',
      name: 'policy.json',
    });
    const folder = byId('Directory', 'FIELDKEYPROGRAMDATA');
    expect((folder.parentNode as Element).getAttribute('Id')).toBe('CommonAppDataFolder');
    const onMachine = machinePolicyFile({ ProgramData: 'C:\\ProgramData' }, 'win32');
    expect(onMachine).toBe(`C:\\ProgramData\\${folder.getAttribute('Name')}\\${copy!.getAttribute('DestinationName')}`);
    const [permission] = elements(component, 'PermissionEx');
    expect(permission!.getAttribute('Sddl')).toBe('D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)');
  });

  it('DESKTOP_SHORTCUT="1" (the default) puts a shortcut to FieldKey.exe on the desktop; "0" leaves it out', () => {
    const component = byId('Component', 'desktopShortcut');
    expect(conditionOf(component)).toBe('DESKTOP_SHORTCUT = "1"');
    const [shortcut] = elements(component, 'Shortcut');
    expect({
      directory: shortcut!.getAttribute('Directory'),
      target: shortcut!.getAttribute('Target'),
      name: shortcut!.getAttribute('Name'),
    }).toEqual({
      directory: 'DesktopFolder',
      target: '[#mainExecutable]',
      name: 'FieldKey',
    });
    expect(elements(project, 'Directory').filter((d) => d.getAttribute('Id') === 'DesktopFolder')).toHaveLength(1);
    expect(config.msi?.additionalLightArgs).toEqual(['-sice:ICE43']);
  });

  it('every added component is installed with the product’s feature', () => {
    const feature = byId('Feature', 'ProductFeature');
    expect(elements(feature, 'ComponentGroupRef').map((r) => r.getAttribute('Id'))).toEqual([
      'ProductComponents',
      'FieldKeyInstallOptions',
    ]);
    const group = byId('ComponentGroup', 'FieldKeyInstallOptions');
    expect(elements(group, 'Component').map((c) => c.getAttribute('Id'))).toEqual([
      'policyIssuer',
      'policyClientId',
      'policyFile',
      'desktopShortcut',
    ]);
  });
});

describe('the hook refuses a project it does not recognise, with a stable code', () => {
  it.each([
    [
      'one that already has a desktop shortcut',
      (wxs: string) => wxs.replace('<Shortcut Id="startMenuShortcut"', '<Shortcut Id="desktopShortcut"'),
      /already has a desktop shortcut/,
    ],
    ['one without the main executable', (wxs: string) => wxs.replace('Id="mainExecutable"', 'Id="other"'), /mainExecutable/],
    [
      'one whose template changed',
      (wxs: string) => wxs.replace('<Property Id="DISABLEADVTSHORTCUTS" Value="1"/>', ''),
      /DISABLEADVTSHORTCUTS/,
    ],
  ])('%s', async (_name, edit, message) => {
    const file = join(dir, 'broken.wxs');
    const text = edit(original);
    expect(text).not.toBe(original);
    writeFileSync(file, text);
    const hook = await resolveFunction<Hook>('module', config.msiProjectCreated as string, 'msiProjectCreated', root);
    await expect(hook(file)).rejects.toMatchObject({ code: 'msi_project_unexpected', message: expect.stringMatching(message) });
    expect(readFileSync(file, 'utf8')).toBe(text);
  });
});
