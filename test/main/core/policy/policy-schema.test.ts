import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { POLICY_SCHEMA, schemaProblems } from '../../../../src/main/core/policy/policy-schema';
import { nodePolicyFileSystem } from '../../../../src/main/core/policy/policy-file-system';
import { SUPPORTED_ALGORITHMS } from '../../../../src/main/core/policy/policy-types';

describe('policy.schema.json', () => {
  it('is a valid draft-07 schema that a plain validator (as in an editor) accepts', () => {
    const ajv = new Ajv({ strict: false });
    expect(ajv.validateSchema(POLICY_SCHEMA)).toBe(true);
    const validate = ajv.compile(POLICY_SCHEMA);
    expect(validate({ issuer: 'https://a.example', clientId: 'c' })).toBe(true);
    expect(validate({ issuer: 'https://a.example', clientId: 'c', pin: { minLength: 2 } })).toBe(false);
    expect(POLICY_SCHEMA.$schema).toBe('http://json-schema.org/draft-07/schema#');
  });

  it('allows exactly the algorithms FieldKey supports', () => {
    const items = (POLICY_SCHEMA.properties as { allowedAlgorithms: { items: { enum: string[] } } }).allowedAlgorithms.items;
    expect(items.enum).toEqual([...SUPPORTED_ALGORITHMS]);
  });

  it('lets the same ajv instance be reused across calls', () => {
    expect(schemaProblems({ issuer: 'x', clientId: 'y' })).toEqual([]);
    expect(schemaProblems({ issuer: 'x' })).toHaveLength(1);
    expect(schemaProblems({ issuer: 'x', clientId: 'y' })).toEqual([]);
  });
});

describe('nodePolicyFileSystem', () => {
  it('reads, tests and stats real files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fieldkey-policy-fs-'));
    try {
      const file = join(dir, 'p.json');
      writeFileSync(file, '{}', { mode: 0o640 });
      expect(Buffer.from(nodePolicyFileSystem.readFile(file)).toString()).toBe('{}');
      expect(nodePolicyFileSystem.exists(file)).toBe(true);
      expect(nodePolicyFileSystem.exists(join(dir, 'nope'))).toBe(false);
      const stat = nodePolicyFileSystem.stat(file);
      expect(stat.mode & 0o777).toBe(0o640 & ~process.umask());
      expect(stat.uid).toBe(process.getuid!());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
