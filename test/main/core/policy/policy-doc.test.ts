/**
 * docs/policy.md must describe the policy FieldKey really reads: one row per field with the real
 * default, the registry mapping the reader uses, the machine-wide paths, and examples that validate.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../../../src/main/core/policy/parse-policy';
import { DEFAULT_POLICY_FIELDS, DEMO_POLICY_DOCUMENT } from '../../../../src/main/core/policy/policy-defaults';
import { machinePolicyFile } from '../../../../src/main/core/policy/load-policy';
import { POLICY_SCHEMA } from '../../../../src/main/core/policy/policy-schema';
import { REGISTRY_VALUES } from '../../../../src/main/core/policy/windows-registry-policy';

const doc = readFileSync(join(import.meta.dirname, '../../../../docs/policy.md'), 'utf8');

/** Rows of the markdown table that follows the line `| <firstHeader> |...`. */
function tableRows(firstHeader: string): string[][] {
  const lines = doc.split('\n').map((l) => l.trim());
  const start = lines.findIndex((l) => l.startsWith(`| ${firstHeader} |`));
  expect(start, `table starting with ${firstHeader}`).toBeGreaterThan(-1);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

const unquote = (cell: string): string => cell.replace(/^`|`$/g, '');

describe('docs/policy.md', () => {
  const fields = tableRows('Field');

  it('has one row per policy field, in schema order', () => {
    const properties = Object.keys(POLICY_SCHEMA.properties as object).filter((k) => !k.startsWith('$'));
    const expected = properties.flatMap((p) => (p === 'pin' ? ['pin.minLength', 'pin.maxAttempts'] : [p]));
    expect(fields.map((row) => unquote(row[0]!))).toEqual(expected);
  });

  it('states the real defaults', () => {
    const byField = new Map(fields.map((row) => [unquote(row[0]!), row[2]!]));
    for (const key of [
      'gracePeriodHours',
      'checkInIntervalDays',
      'jwksRefreshDays',
      'refreshRetryWindowSeconds',
      'clockSkewSeconds',
      'idleLockMinutes',
      'maxAccounts',
      'auditRetentionDays',
      'auditRetentionRows',
    ] as const) {
      expect([key, byField.get(key)]).toEqual([key, String(DEFAULT_POLICY_FIELDS[key])]);
    }
    expect(byField.get('pin.minLength')).toBe(String(DEFAULT_POLICY_FIELDS.pin.minLength));
    expect(byField.get('pin.maxAttempts')).toBe(String(DEFAULT_POLICY_FIELDS.pin.maxAttempts));
    expect(byField.get('argon2')).toBe(
      `\`${JSON.stringify(DEFAULT_POLICY_FIELDS.argon2)
        .replace(/([:,])/g, '$1 ')
        .replace(/^\{/, '{ ')
        .replace(/\}$/, ' }')}\``,
    );
    expect(byField.get('allowedAlgorithms')).toBe(DEFAULT_POLICY_FIELDS.allowedAlgorithms.map((a) => `\`${a}\``).join(', '));
    expect(byField.get('offlineToken')).toBe(`\`"${DEFAULT_POLICY_FIELDS.offlineToken}"\``);
  });

  it('states the ranges the schema enforces', () => {
    const byField = new Map(fields.map((row) => [unquote(row[0]!), row[1]!]));
    const properties = POLICY_SCHEMA.properties as Record<
      string,
      { minimum?: number; maximum?: number; properties?: Record<string, { minimum: number; maximum: number }> }
    >;
    for (const [key, schema] of Object.entries(properties)) {
      if (schema.minimum !== undefined) expect([key, byField.get(key)]).toEqual([key, `${schema.minimum} to ${schema.maximum}`]);
    }
    for (const [key, schema] of Object.entries(properties.pin!.properties!)) {
      expect(byField.get(`pin.${key}`)).toBe(`${schema.minimum} to ${schema.maximum}`);
    }
    // No policy can allow PINs shorter than six characters.
    expect(byField.get('pin.minLength')).toBe('6 to 64');
  });

  it('states the whitespace rule next to pin.minLength', () => {
    const row = fields.find((r) => unquote(r[0]!) === 'pin.minLength')!;
    expect(row.join(' | ')).toMatch(/whitespace is refused \(`pin_whitespace`\)/);
  });

  it('lists the registry mapping the reader uses', () => {
    const type = { string: 'REG_SZ', number: 'REG_DWORD', list: 'REG_MULTI_SZ' };
    const rows = tableRows('Registry value (below `HKLM\\SOFTWARE\\Policies\\FieldKey`)').map((row) => row.map(unquote));
    expect(rows).toEqual(REGISTRY_VALUES.map((m) => [m.key === '' ? m.name : `${m.key}\\${m.name}`, type[m.kind], m.field.join('.')]));
  });

  it('gives the machine-wide paths the loader uses', () => {
    const rows = new Map(tableRows('OS').map((row) => [row[0]!, unquote(row[1]!)]));
    expect(rows.get('Windows')).toBe('%ProgramData%\\FieldKey\\policy.json');
    expect(machinePolicyFile({ ProgramData: '%ProgramData%' }, 'win32')).toBe(rows.get('Windows'));
    expect(machinePolicyFile({}, 'darwin')).toBe(rows.get('macOS'));
    expect(machinePolicyFile({}, 'linux')).toBe(rows.get('Linux'));
  });

  it('names the demo policy', () => {
    expect(doc).toContain(`issuer\n   \`${DEMO_POLICY_DOCUMENT.issuer}\``);
  });

  it('has examples that are valid policies', () => {
    const examples = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(examples.length).toBe(2);
    for (const example of examples) expect(() => parsePolicy(example, 'docs/policy.md')).not.toThrow();
  });
});
