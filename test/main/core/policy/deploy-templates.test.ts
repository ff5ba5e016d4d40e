/**
 * The fleet templates in deploy/ must say what FieldKey reads: the ADMX writes exactly the registry
 * values windows-registry-policy.ts maps (names, subkeys, types, ranges, enum values), its ADML
 * defines every string and presentation it references, no two policies write the same value, and the
 * example macOS profile holds every policy field, as a valid payload and valid commented alternatives.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, parse } from 'plist';
import { describe, expect, it } from 'vitest';
import {
  REGISTRY_VALUES,
  registryToDocument,
  type RegistryValue,
  type RegistryValueKind,
} from '../../../../src/main/core/policy/windows-registry-policy';
import { MANAGED_PREFERENCES_DOMAIN, parseManagedPlist } from '../../../../src/main/core/policy/macos-managed-policy';
import { validatePolicyDocument } from '../../../../src/main/core/policy/parse-policy';
import { POLICY_SCHEMA } from '../../../../src/main/core/policy/policy-schema';
import { policyFieldPaths, settingPaths } from '../../../helpers/policy-fields';

const root = join(import.meta.dirname, '../../../..');
const admx = readFileSync(join(root, 'deploy/windows/FieldKey.admx'), 'utf8');
const adml = readFileSync(join(root, 'deploy/windows/en-US/FieldKey.adml'), 'utf8');
const mobileconfig = readFileSync(join(root, 'deploy/macos/com.fieldkey.app.mobileconfig'), 'utf8');

const attributes = (text: string): Record<string, string> =>
  Object.fromEntries([...text.matchAll(/([\w:]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
const ROOT_KEY = 'Software\\Policies\\FieldKey';

interface AdmxValue {
  policy: string;
  key: string;
  name: string;
  kind: RegistryValueKind;
  element: Record<string, string>;
  enumValues?: string[];
  fixedValue?: string;
}

function relativeKey(key: string): string {
  expect(key.toLowerCase().startsWith(ROOT_KEY.toLowerCase()), `key ${key} is below ${ROOT_KEY}`).toBe(true);
  return key.slice(ROOT_KEY.length).replace(/^\\/, '');
}

function admxValues(): AdmxValue[] {
  const values: AdmxValue[] = [];
  for (const policy of admx.matchAll(/<policy\s([^>]*)>([\s\S]*?)<\/policy>/g)) {
    const attrs = attributes(policy[1]!);
    const body = policy[2]!;
    for (const element of body.matchAll(/<(text|decimal|multiText|enum)\s([^>]*?)\/?>([\s\S]*?<\/enum>)?/g)) {
      const e = attributes(element[2]!);
      const kind: RegistryValueKind = element[1] === 'decimal' ? 'number' : element[1] === 'multiText' ? 'list' : 'string';
      const enumValues =
        element[1] === 'enum' ? [...(element[3] ?? '').matchAll(/<string>([^<]*)<\/string>/g)].map((m) => m[1]!) : undefined;
      values.push({
        policy: attrs.name!,
        key: relativeKey(e.key ?? attrs.key!),
        name: e.valueName!,
        kind,
        element: e,
        ...(enumValues ? { enumValues } : {}),
      });
    }
    for (const item of (/<enabledList>([\s\S]*?)<\/enabledList>/.exec(body)?.[1] ?? '').matchAll(
      /<item\s([^>]*)>\s*<value>\s*<string>([^<]*)<\/string>/g,
    )) {
      const i = attributes(item[1]!);
      values.push({
        policy: attrs.name!,
        key: relativeKey(i.key ?? attrs.key!),
        name: i.valueName!,
        kind: 'string',
        element: i,
        fixedValue: item[2]!,
      });
    }
  }
  return values;
}

/** The schema of a policy field, looking through argon2's if/then/else branches. */
function fieldSchema(field: readonly string[]): Record<string, unknown> {
  let node = POLICY_SCHEMA as Record<string, unknown>;
  for (const name of field) {
    const candidates = [node, node.then, node.else] as (Record<string, unknown> | undefined)[];
    const found = candidates
      .map((c) => (c?.properties as Record<string, Record<string, unknown>> | undefined)?.[name])
      .find((s) => s && !('not' in s));
    expect(found, `schema has ${field.join('.')}`).toBeDefined();
    node = found!;
  }
  return node;
}

describe('deploy/windows/FieldKey.admx', () => {
  const values = admxValues();
  const id = (key: string, name: string): string => (key === '' ? name : `${key}\\${name}`);

  it('writes exactly the registry values FieldKey reads', () => {
    const written = [...new Set(values.map((v) => id(v.key, v.name)))].sort();
    expect(written).toEqual(REGISTRY_VALUES.map((m) => id(m.key, m.name)).sort());
  });

  it('writes each value with the registry type FieldKey expects', () => {
    for (const value of values) {
      const mapping = REGISTRY_VALUES.find((m) => m.key === value.key && m.name === value.name)!;
      expect(`${id(value.key, value.name)}: ${value.kind}`).toBe(`${id(value.key, value.name)}: ${mapping.kind}`);
    }
  });

  it('offers no number outside the schema range, and up to the schema maximum', () => {
    for (const value of values.filter((v) => v.kind === 'number')) {
      const mapping = REGISTRY_VALUES.find((m) => m.key === value.key && m.name === value.name)!;
      const schema = fieldSchema(mapping.field) as { minimum: number; maximum: number };
      const [min, max] = [Number(value.element.minValue), Number(value.element.maxValue)];
      expect([value.name, min >= schema.minimum, max]).toEqual([value.name, true, schema.maximum]);
    }
  });

  it('asks for a PIN of at least 6 digits', () => {
    expect(values.find((v) => v.name === 'MinLength')?.element.minValue).toBe('6');
  });

  it('writes each registry value from one policy only, so two policies can never leave it half set', () => {
    const writers = new Map<string, Set<string>>();
    for (const value of values)
      writers.set(id(value.key, value.name), (writers.get(id(value.key, value.name)) ?? new Set()).add(value.policy));
    expect([...writers].filter(([, policies]) => policies.size > 1)).toEqual([]);
  });

  it('offers only values the schema allows for enums and fixed values', () => {
    for (const value of values.filter((v) => v.enumValues || v.fixedValue !== undefined)) {
      const mapping = REGISTRY_VALUES.find((m) => m.key === value.key && m.name === value.name)!;
      const allowed = fieldSchema(mapping.field).enum as string[];
      for (const v of value.enumValues ?? [value.fixedValue!]) expect(allowed).toContain(v);
    }
    expect(values.find((v) => v.name === 'OfflineToken')?.enumValues).toEqual(['access', 'id']);
    expect(values.filter((v) => v.name === 'Mode').map((v) => v.enumValues)).toEqual([['loopback', 'fixed-port', 'custom-scheme']]);
  });

  it('has unique policy names, and unique element ids within each policy', () => {
    const names = [...admx.matchAll(/<policy\s+name="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(names).size).toBe(names.length);
    for (const policy of admx.matchAll(/<policy\s[^>]*>([\s\S]*?)<\/policy>/g)) {
      const ids = [...policy[1]!.matchAll(/<(?:text|decimal|multiText|enum)\s+id="([^"]+)"/g)].map((m) => m[1]);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it('only writes machine policies below HKLM', () => {
    expect([...admx.matchAll(/class="(\w+)"/g)].every((m) => m[1] === 'Machine')).toBe(true);
  });
});

describe('deploy/windows/en-US/FieldKey.adml', () => {
  const strings = new Set([...adml.matchAll(/<string id="([^"]+)">/g)].map((m) => m[1]));
  const presentations = new Map([...adml.matchAll(/<presentation id="([^"]+)">([\s\S]*?)<\/presentation>/g)].map((m) => [m[1]!, m[2]!]));

  it('defines every string the ADMX references', () => {
    const referenced = [...admx.matchAll(/\$\(string\.([^)]+)\)/g)].map((m) => m[1]);
    expect(referenced.length).toBeGreaterThan(0);
    expect(referenced.filter((r) => !strings.has(r))).toEqual([]);
  });

  it('defines each presentation, with one control per element of its policy', () => {
    for (const policy of admx.matchAll(/<policy\s([^>]*)>([\s\S]*?)<\/policy>/g)) {
      const presentationId = /\$\(presentation\.([^)]+)\)/.exec(policy[1]!)?.[1];
      const ids = [...policy[2]!.matchAll(/<(?:text|decimal|multiText|enum)\s+id="([^"]+)"/g)].map((m) => m[1]).sort();
      const refIds = [...(presentations.get(presentationId ?? '') ?? '').matchAll(/refId="([^"]+)"/g)].map((m) => m[1]).sort();
      expect([presentationId, refIds]).toEqual([presentationId, ids]);
    }
  });

  it('offers a default within the range of each number box', () => {
    const elements = new Map(
      admxValues()
        .filter((v) => v.kind === 'number')
        .map((v) => [v.element.id!, v.element]),
    );
    for (const m of adml.matchAll(/<decimalTextBox refId="([^"]+)" defaultValue="(\d+)"/g)) {
      const element = elements.get(m[1]!)!;
      expect([m[1], Number(m[2]) >= Number(element.minValue) && Number(m[2]) <= Number(element.maxValue)]).toEqual([m[1], true]);
    }
  });

  it('states the same defaults in its presentations as the schema', () => {
    const defaults = Object.fromEntries(
      [...adml.matchAll(/<decimalTextBox refId="([^"]+)" defaultValue="(\d+)"/g)].map((m) => [m[1]!, Number(m[2])]),
    );
    expect(defaults).toMatchObject({
      GracePeriodHours: 24,
      CheckInIntervalDays: 7,
      JwksRefreshDays: 7,
      ClockSkewSeconds: 300,
      MinLength: 6,
      MaxAttempts: 5,
      MemoryKiB: 65536,
      Iterations: 3,
      Parallelism: 1,
      IdleLockMinutes: 15,
      MaxAccounts: 5,
      AuditRetentionDays: 365,
      AuditRetentionRows: 100000,
    });
  });
});

describe('the Redirect policy, as Group Policy writes it', () => {
  const presentationDefaults = Object.fromEntries(
    [...adml.matchAll(/<decimalTextBox refId="([^"]+)" defaultValue="(\d+)"/g)].map((m) => [m[1]!, Number(m[2])]),
  );
  const signIn: RegistryValue[] = [
    { key: '', name: 'Issuer', type: 'REG_SZ', data: 'https://auth.acme.com' },
    { key: '', name: 'ClientId', type: 'REG_SZ', data: 'fieldkey' },
  ];

  /** The values the enabled policy writes: the chosen drop-down item, every number box at its default, text boxes as typed. */
  function enabled(policy: string, mode: string, typed: Record<string, string>): RegistryValue[] {
    return admxValues()
      .filter((v) => v.policy === policy)
      .map((v): RegistryValue => {
        if (v.enumValues) return { key: v.key, name: v.name, type: 'REG_SZ', data: mode };
        if (v.kind === 'number') return { key: v.key, name: v.name, type: 'REG_DWORD', data: presentationDefaults[v.element.id!]! };
        return { key: v.key, name: v.name, type: 'REG_SZ', data: typed[v.element.id!] ?? '' };
      });
  }

  it.each([
    ['loopback', {}, { mode: 'loopback' }],
    ['loopback', { Uri: 'com.acme.fieldkey:/callback' }, { mode: 'loopback' }],
    ['fixed-port', {}, { mode: 'fixed-port', port: 49152 }],
    ['fixed-port', { Uri: 'com.acme.fieldkey:/callback' }, { mode: 'fixed-port', port: 49152 }],
    ['custom-scheme', { Uri: 'com.acme.fieldkey:/callback' }, { mode: 'custom-scheme', uri: 'com.acme.fieldkey:/callback' }],
  ])('mode %s with the boxes %j gives a valid policy', (mode, typed, redirect) => {
    const values = enabled('Redirect', mode, typed);
    expect(values.map((v) => v.name)).toEqual(['Mode', 'Port', 'Uri']);
    const { document, problems } = registryToDocument([...signIn, ...values]);
    expect(problems).toEqual([]);
    expect(validatePolicyDocument(document, 'Redirect policy').redirect).toEqual(redirect);
  });

  it('custom-scheme with the URI box left empty is refused by name, not silently changed', () => {
    const { document } = registryToDocument([...signIn, ...enabled('Redirect', 'custom-scheme', {})]);
    expect(() => validatePolicyDocument(document, 'Redirect policy')).toThrow(
      'redirect.uri: is required when redirect.mode is "custom-scheme"',
    );
  });
});

describe('deploy/macos/com.fieldkey.app.mobileconfig', () => {
  const profile = parse(mobileconfig) as Record<string, unknown>;
  const payloads = profile.PayloadContent as Record<string, unknown>[];

  it('is a Configuration profile with one com.fieldkey.app payload and distinct UUIDs', () => {
    expect(profile.PayloadType).toBe('Configuration');
    expect(payloads.map((p) => p.PayloadType)).toEqual([MANAGED_PREFERENCES_DOMAIN]);
    const uuids = [profile.PayloadUUID, payloads[0]!.PayloadUUID];
    for (const uuid of uuids) expect(uuid).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    expect(new Set(uuids).size).toBe(2);
  });

  /** The payload's settings, as FieldKey reads them once macOS has written them to Managed Preferences. */
  const settings = (payload: Record<string, unknown>): Record<string, unknown> =>
    parseManagedPlist(build(payload as Parameters<typeof build>[0]))!;
  /** Each XML comment in the payload that holds settings, parsed as a dictionary. */
  const alternatives = (): Record<string, unknown>[] => {
    const payloadText = mobileconfig.slice(
      mobileconfig.indexOf('<key>PayloadContent</key>'),
      mobileconfig.lastIndexOf('<key>PayloadType</key>'),
    );
    return [...payloadText.matchAll(/<!--([\s\S]*?)-->/g)]
      .map((m) => m[1]!.slice(m[1]!.indexOf('<key>')))
      .filter((fragment) => fragment.startsWith('<key>'))
      .map((fragment) => parse(`<plist version="1.0"><dict>${fragment}</dict></plist>`) as Record<string, unknown>);
  };

  it('carries a payload that validates against the policy schema', () => {
    const policy = validatePolicyDocument(settings(payloads[0]!), 'mobileconfig payload');
    expect(policy).toMatchObject({
      issuer: 'acme.com',
      clientId: 'e9fdb985-9173-4e01-9d73-ac2d60d1dc8e',
      redirect: { mode: 'loopback' },
      readOnlyHours: null,
      pin: { minLength: 6, maxAttempts: 5 },
    });
  });

  it('holds every policy field, in the payload or in a commented alternative', () => {
    const present = new Set([settings(payloads[0]!), ...alternatives()].flatMap((s) => settingPaths(s)));
    expect(policyFieldPaths().filter((field) => !present.has(field))).toEqual([]);
    expect([...present].filter((path) => !policyFieldPaths().includes(path))).toEqual([]);
  });

  it('gives a valid policy for each commented alternative, uncommented in place of the active entry', () => {
    const found = alternatives();
    expect(found.map((a) => Object.keys(a).join())).toEqual(['endpoints', 'redirect', 'redirect', 'readOnlyHours', 'argon2']);
    for (const alternative of found) {
      const policy = validatePolicyDocument({ ...settings(payloads[0]!), ...alternative }, 'mobileconfig alternative') as unknown as Record<
        string,
        unknown
      >;
      for (const [key, value] of Object.entries(alternative)) expect(policy[key]).toEqual(value);
    }
  });
});
