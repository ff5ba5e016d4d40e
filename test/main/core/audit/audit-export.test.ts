import { describe, expect, it } from 'vitest';
import { csvField, exportLines } from '../../../../src/main/core/audit/audit-export';
import type { AuditEvent } from '../../../../src/main/core/audit/audit-log';

const event = (over: Partial<AuditEvent>): AuditEvent => ({
  seq: 1,
  type: 'sign_in',
  account: 'https://idp|alice',
  atLocal: new Date('2025-03-01T10:00:00Z'),
  atTrusted: null,
  details: {},
  prevHash: '0'.repeat(64),
  hash: 'a'.repeat(64),
  ...over,
});

describe('csvField', () => {
  it.each([
    [null, ''],
    [42, '42'],
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\r', '"cr\r"'],
    [' padded', '" padded"'],
    ['{"issuer":"acme.com","reason":"first"}', '"{""issuer"":""acme.com"",""reason"":""first""}"'],
  ])('%j -> %j', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });
});

describe('exportLines', () => {
  const events = [
    event({ details: { issuer: 'acme.com', reason: 'first, again' } }),
    event({ seq: 2, type: 'sign_out', account: null, atTrusted: new Date('2025-03-01T10:00:30Z'), details: '{not json' }),
  ];

  it('writes JSON Lines, one event per line', () => {
    const lines = [...exportLines(events, 'jsonl')];
    expect(lines.every((l) => l.endsWith('\n'))).toBe(true);
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      {
        seq: 1,
        type: 'sign_in',
        account: 'https://idp|alice',
        atLocal: '2025-03-01T10:00:00.000Z',
        atTrusted: null,
        details: { issuer: 'acme.com', reason: 'first, again' },
        prevHash: '0'.repeat(64),
        hash: 'a'.repeat(64),
      },
      {
        seq: 2,
        type: 'sign_out',
        account: null,
        atLocal: '2025-03-01T10:00:00.000Z',
        atTrusted: '2025-03-01T10:00:30.000Z',
        details: '{not json',
        prevHash: '0'.repeat(64),
        hash: 'a'.repeat(64),
      },
    ]);
  });

  it('writes RFC 4180 CSV with a header', () => {
    expect([...exportLines(events, 'csv')].join('')).toBe(
      'seq,type,account,atLocal,atTrusted,details,prevHash,hash\r\n' +
        `1,sign_in,https://idp|alice,2025-03-01T10:00:00.000Z,,"{""issuer"":""acme.com"",""reason"":""first, again""}",${'0'.repeat(64)},${'a'.repeat(64)}\r\n` +
        `2,sign_out,,2025-03-01T10:00:00.000Z,2025-03-01T10:00:30.000Z,{not json,${'0'.repeat(64)},${'a'.repeat(64)}\r\n`,
    );
  });

  it('writes only the CSV header for no events, and nothing for JSON Lines', () => {
    expect([...exportLines([], 'csv')]).toEqual(['seq,type,account,atLocal,atTrusted,details,prevHash,hash\r\n']);
    expect([...exportLines([], 'jsonl')]).toEqual([]);
  });
});
