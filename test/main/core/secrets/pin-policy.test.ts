import { describe, expect, it } from 'vitest';
import { assertPinAllowed, MAX_PIN_LENGTH, pinProblem, pinRulesText } from '../../../../src/main/core/secrets/pin-policy';

const rules = { minLength: 6 };

describe('PIN policy', () => {
  it.each([
    // accepted
    ['482915', undefined],
    ['730264', undefined],
    ['1357924', undefined],
    ['2580147', undefined],
    ['124578', undefined],
    ['112244', undefined],
    ['tr4ctor!', undefined],
    ['caf\u00e9-24', undefined],
    // whitespace anywhere, of any kind, is refused (and never pads a short PIN to the minimum)
    ['caf\u00e9 24', 'pin_whitespace'],
    ['48291 ', 'pin_whitespace'],
    [' 482915', 'pin_whitespace'],
    ['4829 15', 'pin_whitespace'],
    ['4829\u00a015', 'pin_whitespace'],
    ['4829\u300015', 'pin_whitespace'],
    ['4829\u200a15', 'pin_whitespace'],
    ['      ', 'pin_whitespace'],
    // too short (code points, not UTF-16 units)
    ['', 'pin_too_short'],
    ['48291', 'pin_too_short'],
    ['\u{1F511}\u{1F511}\u{1F512}ab', 'pin_too_short'],
    ['x'.repeat(MAX_PIN_LENGTH + 1), 'pin_too_long'],
    // characters that cannot be typed
    ['482915\n', 'pin_invalid'],
    ['48\u00002915', 'pin_invalid'],
    // all the same
    ['000000', 'pin_trivial'],
    ['99999999', 'pin_trivial'],
    ['aaaaaa', 'pin_trivial'],
    // ascending and descending runs, also wrapping past 9 and 0
    ['123456', 'pin_trivial'],
    ['012345', 'pin_trivial'],
    ['456789', 'pin_trivial'],
    ['1234567890', 'pin_trivial'],
    ['987654', 'pin_trivial'],
    ['654321', 'pin_trivial'],
    ['890123', 'pin_trivial'],
    ['210987', 'pin_trivial'],
    ['abcdef', 'pin_trivial'],
    ['fedcba', 'pin_trivial'],
    // repeated blocks
    ['121212', 'pin_trivial'],
    ['123123', 'pin_trivial'],
    ['696969', 'pin_trivial'],
    ['45674567', 'pin_trivial'],
    ['abcabc', 'pin_trivial'],
    // runs of repeated digits
    ['112233', 'pin_trivial'],
    ['111222', 'pin_trivial'],
    ['998877', 'pin_trivial'],
    ['000111', 'pin_trivial'],
    // blocklist
    ['123321', 'pin_trivial'],
    ['159753', 'pin_trivial'],
    ['147258', 'pin_trivial'],
    ['258369', 'pin_trivial'],
    ['102030', 'pin_trivial'],
    ['112358', 'pin_trivial'],
  ])('%j -> %s', (pin, code) => {
    expect(pinProblem(pin, rules)?.code).toBe(code);
  });

  it('takes the minimum length from policy', () => {
    expect(pinProblem('48291', { minLength: 4 })).toBeUndefined();
    expect(pinProblem('482915', { minLength: 8 })?.code).toBe('pin_too_short');
    expect(pinProblem('48291537', { minLength: 8 })).toBeUndefined();
  });

  it('refuses values that are not text', () => {
    expect(pinProblem(482915, rules)?.code).toBe('pin_invalid');
    expect(pinProblem(undefined, rules)?.code).toBe('pin_invalid');
  });

  it('throws a FieldKeyError whose message does not contain the PIN', () => {
    expect(() => assertPinAllowed('159753', rules)).toThrow(expect.objectContaining({ code: 'pin_trivial' }));
    try {
      assertPinAllowed('159753', rules);
    } catch (error) {
      expect((error as Error).message).not.toContain('159753');
    }
    expect(() => assertPinAllowed('482915', rules)).not.toThrow();
  });

  it('says why a PIN with a space is refused, without repeating the PIN', () => {
    const problem = pinProblem('tr4ctor 91', rules);
    expect(problem).toEqual({ code: 'pin_whitespace', message: 'The PIN must not contain spaces. Choose a PIN without spaces.' });
  });

  it('describes the rules for the PIN screen', () => {
    expect(pinRulesText({ minLength: 8 })).toContain('at least 8');
    expect(pinRulesText({ minLength: 8 })).toContain('no spaces');
  });
});
