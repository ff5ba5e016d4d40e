import { describe, expect, it } from 'vitest';
import { formatJsonPath, JsonTextError, parseJsonStrict } from '../../../../src/main/core/policy/json-text';

describe('parseJsonStrict', () => {
  it.each([
    ['{}', {}],
    [
      '  {"a": [1, -2.5e3, 0, 0.5, true, false, null, "x\\u00e9\\n\\"\\\\\\/"]}\r\n',
      { a: [1, -2500, 0, 0.5, true, false, null, 'xé\n"\\/'] },
    ],
    ['{"nested": {"deep": [[], {}, [{"k": "v"}]]}}', { nested: { deep: [[], {}, [{ k: 'v' }]] } }],
    ['"just a string"', 'just a string'],
    ['[1E+2, 1e-2]', [100, 0.01]],
  ])('returns what JSON.parse returns for %s', (text, expected) => {
    expect(parseJsonStrict(text).value).toEqual(expected);
    expect(parseJsonStrict(text).value).toEqual(JSON.parse(text));
    expect(parseJsonStrict(text).duplicateKeys).toEqual([]);
  });

  it.each([
    ['', 1, 1, 'the file is empty'],
    ['   \n  ', 2, 3, 'the file is empty'],
    ['{\n  "a": 1,\n}', 3, 1, "trailing comma before '}'"],
    ['[1, 2,]', 1, 7, "trailing comma before ']'"],
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3, "expected ',' or '}' (is a comma missing?)"],
    ["{'a': 1}", 1, 2, 'keys must use double quotes'],
    ['{"a": \'x\'}', 1, 7, 'strings must use double quotes'],
    ['{a: 1}', 1, 2, 'expected a key in double quotes'],
    ['{"a" 1}', 1, 6, "expected ':' after the key"],
    ['{"a": 1', 1, 8, "unexpected end of file: expected ',' or '}'"],
    ['{"a": }', 1, 7, 'expected a value'],
    ['{"a": 01}', 1, 8, 'leading zeros'],
    ['{"a": 1.}', 1, 8, 'in a number'],
    ['{"a": tru}', 1, 7, 'expected a value'],
    ['{"a": "x\ny"}', 1, 9, 'line break inside a string'],
    ['{"a": "C:\\ProgramData"}', 1, 10, 'invalid escape \\P'],
    ['{"a": "\\u12"}', 1, 8, 'four hex digits'],
    ['{"a": "never closed}', 1, 7, 'string is never closed'],
    ['// comment\n{}', 1, 1, 'comments are not allowed'],
    ['{"a": 1 /* c */}', 1, 9, 'comments are not allowed'],
    ['{} {}', 1, 4, 'after the end of the JSON value'],
    ['{"a": NaN}', 1, 7, "unexpected character 'N'"],
    ['{"a": 1}\u00a0', 1, 9, 'character U+00A0'],
  ])('rejects %j at line %i, column %i (%s)', (text, line, column, reason) => {
    let error: unknown;
    try {
      parseJsonStrict(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JsonTextError);
    expect(() => JSON.parse(text)).toThrow();
    const e = error as JsonTextError;
    expect([e.line, e.column]).toEqual([line, column]);
    expect(e.reason).toContain(reason);
  });

  it('refuses documents nested deeper than 64 levels instead of overflowing the stack', () => {
    expect(() => parseJsonStrict('['.repeat(100_000))).toThrow(/nested more than 64 levels/);
  });

  it('lists duplicate keys with their paths, as JSON.parse would silently keep the last', () => {
    const text = '{"gracePeriodHours": 1, "pin": {"minLength": 6, "minLength": 4}, "list": [{"a": 1, "a": 2}], "gracePeriodHours": 720}';
    const { value, duplicateKeys } = parseJsonStrict(text);
    expect(duplicateKeys).toEqual([['pin', 'minLength'], ['list', 0, 'a'], ['gracePeriodHours']]);
    expect((value as { gracePeriodHours: number }).gracePeriodHours).toBe(720);
  });

  it('compares keys after unescaping', () => {
    expect(parseJsonStrict('{"ab": 1, "a\\u0062": 2}').duplicateKeys).toEqual([['ab']]);
  });
});

describe('formatJsonPath', () => {
  it.each([
    [[], '(document)'],
    [['issuer'], 'issuer'],
    [['pin', 'minLength'], 'pin.minLength'],
    [['allowedAlgorithms', 1], 'allowedAlgorithms[1]'],
    [['odd key', 'x'], '["odd key"].x'],
    [['$schema'], '$schema'],
  ] as [(string | number)[], string][])('%j is %s', (path, expected) => {
    expect(formatJsonPath(path)).toBe(expected);
  });
});
