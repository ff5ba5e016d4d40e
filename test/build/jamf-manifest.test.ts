/**
 * The Jamf Pro custom schema in deploy/macos/ is what scripts/jamf-manifest.ts generates from the
 * policy schema (so it cannot drift), it offers every policy field with the schema's types, ranges and
 * choices, and Jamf's form, read as JSON Schema, accepts the example profile's settings and refuses
 * values FieldKey would refuse.
 */
import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import { build, parse } from 'plist';
import { describe, expect, it } from 'vitest';
import { JAMF_MANIFEST_PATH, jamfManifestText, titleFor } from '../../scripts/jamf-manifest';
import { parseManagedPlist } from '../../src/main/core/policy/macos-managed-policy';
import { POLICY_SCHEMA } from '../../src/main/core/policy/policy-schema';
import { policyFieldPaths } from '../helpers/policy-fields';

type Node = Record<string, unknown>;

const committed = readFileSync(JAMF_MANIFEST_PATH, 'utf8');
const manifest = JSON.parse(committed) as Node;

/** The manifest node of a dotted field path; a nullable field's "Configured" branch. */
function manifestField(path: string): Node | undefined {
  let node: Node | undefined = manifest;
  for (const name of path.split('.')) {
    node = (node?.properties as Record<string, Node> | undefined)?.[name];
    const configured: Node | undefined = (node?.anyOf as Node[] | undefined)?.find((branch) => branch.type !== 'null');
    if (configured) node = configured;
  }
  return node;
}

/** The schema node of a dotted field path, through $ref and if/then/else. */
function schemaField(path: string): Node {
  let node = POLICY_SCHEMA as Node;
  for (const name of path.split('.')) {
    const found = [node, node.then, node.else]
      .map((branch) => ((branch as Node | undefined)?.properties as Record<string, Node> | undefined)?.[name])
      .find((member) => member && !('not' in member))!;
    const ref = found.$ref as string | undefined;
    node = ref ? { ...((POLICY_SCHEMA.definitions as Record<string, Node>)[ref.split('/').pop()!] as Node), ...found } : found;
  }
  return node;
}

describe('deploy/macos/com.fieldkey.app.json (Jamf Pro custom schema)', () => {
  it('is exactly what scripts/jamf-manifest.ts generates from the policy schema', () => {
    expect(committed).toBe(jamfManifestText());
  });

  it('has the header and per-property annotations Jamf shows', () => {
    expect(manifest).toMatchObject({ title: 'FieldKey (com.fieldkey.app)', type: 'object', required: POLICY_SCHEMA.required });
    const top = Object.values(manifest.properties as Record<string, Node>);
    for (const property of top) expect(Object.keys(property)).toEqual(expect.arrayContaining(['title', 'property_order']));
    const orders = top.map((p) => p.property_order as number);
    expect(orders).toEqual([...orders].sort((a, b) => a - b));
  });

  it('offers every policy field, and nothing else', () => {
    const fields = policyFieldPaths();
    expect(fields.filter((field) => !manifestField(field))).toEqual([]);
    const offered = Object.entries(manifest.properties as Record<string, Node>).flatMap(([key, node]) =>
      node.properties ? Object.keys(node.properties as object).map((member) => `${key}.${member}`) : [key],
    );
    expect(offered).toEqual(fields);
  });

  it('uses the schema type, range and choices of each field', () => {
    for (const field of policyFieldPaths()) {
      const schema = schemaField(field);
      const offered = manifestField(field)!;
      const type = Array.isArray(schema.type) ? (schema.type as string[]).find((t) => t !== 'null') : schema.type;
      expect([field, offered.type, offered.minimum, offered.maximum, offered.enum, offered.pattern]).toEqual([
        field,
        type,
        schema.minimum,
        schema.maximum,
        schema.enum,
        schema.pattern,
      ]);
      if (Array.isArray(offered.enum)) expect((offered.options as Node).enum_titles).toHaveLength(offered.enum.length);
    }
  });

  it('leaves readOnlyHours out of the profile unless configured (the policy’s null)', () => {
    const node = (manifest.properties as Record<string, Node>).readOnlyHours!;
    expect(node.anyOf).toEqual([
      { type: 'null', title: 'Not Configured' },
      { title: 'Configured', type: 'integer', minimum: 0, maximum: 2160 },
    ]);
  });

  describe('read as JSON Schema', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(manifest);
    const profile = parse(readFileSync(JAMF_MANIFEST_PATH.replace(/\.json$/, '.mobileconfig'), 'utf8')) as {
      PayloadContent: Record<string, unknown>[];
    };
    const settings = parseManagedPlist(build(profile.PayloadContent[0] as Parameters<typeof build>[0]))!;

    it('accepts the example profile’s settings', () => {
      expect(validate(settings), JSON.stringify(validate.errors)).toBe(true);
    });

    it.each([
      ['a grace period past 720 hours', { gracePeriodHours: 721 }, '/gracePeriodHours'],
      ['a read-only period past 2160 hours', { readOnlyHours: 2161 }, '/readOnlyHours'],
      ['an HMAC algorithm', { allowedAlgorithms: ['HS256'] }, '/allowedAlgorithms/0'],
      ['an unknown redirect mode', { redirect: { mode: 'any' } }, '/redirect/mode'],
      ['a plain http discovery URL', { discoveryUrl: 'http://auth.acme.com/.well-known/openid-configuration' }, '/discoveryUrl'],
    ])('refuses %s', (_name, change, where) => {
      expect(validate({ ...settings, ...change })).toBe(false);
      expect(validate.errors?.map((e) => e.instancePath)).toContain(where);
    });
  });

  it.each([
    ['discoveryUrl', 'Discovery URL'],
    ['memoryKiB', 'Memory KiB'],
    ['jwksRefreshDays', 'JWKS refresh days'],
    ['fixed-port', 'Fixed port'],
    ['clientId', 'Client ID'],
  ])('titles %s as %s', (key, title) => {
    expect(titleFor(key)).toBe(title);
  });
});
