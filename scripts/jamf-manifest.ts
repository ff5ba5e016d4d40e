/**
 * Generates the Jamf Pro custom schema (Application & Custom Settings > External Applications) for
 * the preference domain com.fieldkey.app from the policy schema, so the Jamf form offers exactly the
 * fields, types, ranges and choices FieldKey validates. Jamf's form understands a plain subset of
 * JSON Schema with its own annotations (`title`, `description`, `property_order`, `options`), so the
 * generator inlines `$ref`s, flattens `argon2`'s either/or branches into one object and leaves out
 * the rules between fields (FieldKey checks those; `fieldkey policy check` names them).
 *
 *   npx tsx scripts/jamf-manifest.ts           writes deploy/macos/com.fieldkey.app.json
 *   npx tsx scripts/jamf-manifest.ts --check   exits 1 if the committed file is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import schema from '../src/main/core/policy/policy.schema.json';
import { DEFAULT_POLICY_FIELDS } from '../src/main/core/policy/policy-defaults';
import { MANAGED_PREFERENCES_DOMAIN } from '../src/main/core/policy/macos-managed-policy';

export const JAMF_MANIFEST_PATH = fileURLToPath(new URL(`../deploy/macos/${MANAGED_PREFERENCES_DOMAIN}.json`, import.meta.url));

type SchemaNode = Record<string, unknown>;
type ManifestNode = Record<string, unknown>;

/** Words kept in their usual spelling when a key becomes a title. */
const SPELLING: Readonly<Record<string, string>> = { id: 'ID', url: 'URL', uri: 'URI', jwks: 'JWKS', pin: 'PIN', kib: 'KiB', ms: 'ms' };

/** `discoveryUrl` -> `Discovery URL`, `memoryKiB` -> `Memory KiB`, `fixed-port` -> `Fixed port`. */
export function titleFor(key: string): string {
  const words = key
    .replace(/KiB\b/g, 'Kib')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s-]+/);
  return words
    .map((word, index) => SPELLING[word.toLowerCase()] ?? (index === 0 ? word[0]!.toUpperCase() + word.slice(1) : word.toLowerCase()))
    .join(' ');
}

const definitions = (schema as SchemaNode).definitions as Record<string, SchemaNode>;

function resolve(node: SchemaNode): SchemaNode {
  const ref = node.$ref as string | undefined;
  if (!ref) return node;
  const target = definitions[ref.replace('#/definitions/', '')];
  if (!target) throw new Error(`unknown $ref ${ref}`);
  const { $ref: _ref, ...rest } = node;
  return { ...resolve(target), ...rest };
}

/** The members of an object node, including those of if/then/else branches; `not: {}` members (forbidden in a branch) are left out. */
function members(node: SchemaNode): [string, SchemaNode][] {
  const found = new Map<string, SchemaNode>();
  for (const branch of [node, node.then, node.else] as (SchemaNode | undefined)[]) {
    for (const [key, member] of Object.entries((branch?.properties as Record<string, SchemaNode> | undefined) ?? {})) {
      if (!('not' in member) && !found.has(key)) found.set(key, member);
    }
  }
  return [...found];
}

function sentence(text: string): string {
  const trimmed = text.trim();
  const capital = trimmed[0]!.toUpperCase() + trimmed.slice(1);
  return capital.endsWith('.') ? capital : `${capital}.`;
}

function defaultText(value: unknown): string | null {
  if (typeof value === 'number' || typeof value === 'string') return `Default: ${value}.`;
  if (Array.isArray(value) && value.length > 0) return `Default: ${value.join(', ')}.`;
  return null;
}

function describe(node: SchemaNode, fallback: unknown): string {
  const parts: string[] = [];
  if (typeof node.description === 'string') parts.push(sentence(node.description));
  else if (typeof node.errorMessage === 'string') parts.push(sentence(node.errorMessage));
  const text = defaultText(fallback);
  if (text && !parts.some((p) => p.includes('Default:'))) parts.push(text);
  return parts.join(' ');
}

/** One manifest property from one schema property. */
function property(key: string, raw: SchemaNode, order: number, defaults: unknown): ManifestNode {
  const node = resolve(raw);
  const title = titleFor(key);
  const description = describe(node, defaults);
  const out: ManifestNode = {
    // The key in parentheses where the title spells it differently, so the form matches docs/policy.md.
    title: title.toLowerCase() === key.toLowerCase() ? title : `${title} (${key})`,
    ...(description ? { description } : {}),
    property_order: order,
  };
  const types = Array.isArray(node.type) ? (node.type as string[]) : [node.type as string | undefined];
  const type = types.find((t) => t !== 'null') ?? (node.properties || node.then ? 'object' : undefined);
  if (!type) throw new Error(`no type for ${key}`);
  const value: ManifestNode = { type };
  for (const keyword of ['minimum', 'maximum', 'minLength', 'pattern', 'minItems', 'uniqueItems'] as const) {
    if (node[keyword] !== undefined) value[keyword] = node[keyword];
  }
  if (Array.isArray(node.enum)) {
    value.enum = node.enum;
    value.options = { enum_titles: (node.enum as string[]).map(titleFor) };
  }
  if (type === 'array') {
    const items = resolve(node.items as SchemaNode);
    const itemOut: ManifestNode = { type: items.type, title: titleFor(key.replace(/s$/, '')) };
    if (items.pattern) itemOut.pattern = items.pattern;
    if (Array.isArray(items.enum)) itemOut.enum = items.enum;
    value.items = itemOut;
  }
  if (type === 'object') {
    const nested = members(node);
    const nestedDefaults = (defaults ?? {}) as Record<string, unknown>;
    value.properties = Object.fromEntries(
      nested.map(([name, member], index) => [name, property(name, member, (index + 1) * 5, nestedDefaults[name])]),
    );
  }
  if (types.includes('null')) {
    // Jamf's way to leave a key out of the profile: "Not Configured" writes nothing (the policy's null).
    return {
      ...out,
      anyOf: [
        { type: 'null', title: 'Not Configured' },
        { title: 'Configured', ...value },
      ],
    };
  }
  return { ...out, ...value };
}

/** The Jamf manifest for the policy schema. */
export function jamfManifest(policySchema: SchemaNode = schema as SchemaNode): ManifestNode {
  const properties = Object.entries(policySchema.properties as Record<string, SchemaNode>).filter(([key]) => !key.startsWith('$'));
  const defaults = DEFAULT_POLICY_FIELDS as Record<string, unknown>;
  return {
    title: `FieldKey (${MANAGED_PREFERENCES_DOMAIN})`,
    description: `${policySchema.description as string} Generated from policy.schema.json by scripts/jamf-manifest.ts.`,
    type: 'object',
    options: { remove_empty_properties: true },
    required: policySchema.required,
    properties: Object.fromEntries(properties.map(([key, node], index) => [key, property(key, node, (index + 1) * 10, defaults[key])])),
  };
}

/** The manifest file's text: 2-space JSON and a final newline. */
export function jamfManifestText(): string {
  return `${JSON.stringify(jamfManifest(), null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = jamfManifestText();
  if (process.argv.includes('--check')) {
    const current = readFileSync(JAMF_MANIFEST_PATH, 'utf8');
    if (current !== text) {
      console.error(`${JAMF_MANIFEST_PATH} is out of date: run npx tsx scripts/jamf-manifest.ts`);
      process.exit(1);
    }
  } else {
    writeFileSync(JAMF_MANIFEST_PATH, text);
    console.log(`wrote ${JAMF_MANIFEST_PATH}`);
  }
}
