/**
 * PIN rules. A PIN is any string of printable characters without whitespace
 * (digits are the usual case, letters and punctuation are allowed) with at least the policy's
 * minimum length, counted in Unicode code points, and at most MAX_PIN_LENGTH.
 *
 * Whitespace (a space, a tab, a no-break or ideographic space: anything Unicode calls white space)
 * is refused in a new PIN with `pin_whitespace`: a space is easy to type by mistake, invisible in a
 * masked field, and would otherwise pad a short PIN up to the minimum length. The rules apply when
 * a PIN is chosen or changed, never at unlock: a PIN an older FieldKey accepted with a space in it
 * still unlocks its sealed session, and is refused only as a new PIN.
 *
 * Trivial PINs are refused: one repeated character (000000, aaaaaa); ascending or descending runs
 * (123456, 987654, abcdef; for all-digit PINs also wrapping past 9 or 0: 890123, 210987); a block
 * repeated (121212, 123123, 4545); runs of repeated characters (112233, 111222, 998877); and a short
 * blocklist of keypad patterns and well-known PINs.
 *
 * Comparison is exact, as typed: no trimming, no case folding. The only
 * normalization is Unicode NFC (canonically equivalent input, e.g. a precomposed and a decomposed
 * accent, gives the same PIN); digits and ASCII are never changed by it. The same `normalizePin` is
 * applied before checking the rules and before the PIN reaches Argon2id.
 */
import { FieldKeyError, type ErrorCode } from '../../../shared/errors';

export const MAX_PIN_LENGTH = 64;

export interface PinRules {
  /** `policy.pin.minLength` (default 6). */
  minLength: number;
}

/** Well-known PINs that are neither runs nor repetitions (keypad lines and crosses, popular picks). */
const BLOCKLIST = new Set([
  '123321',
  '321123',
  '654456',
  '147258',
  '258369',
  '369258',
  '147852',
  '258741',
  '741852',
  '852963',
  '963852',
  '159753',
  '951357',
  '753951',
  '159357',
  '357159',
  '147369',
  '789456',
  '456789123',
  '102030',
  '112358',
  '123654',
  '135790',
  '246810',
  '142536',
  '7894561230',
]);

export function normalizePin(pin: string): string {
  return pin.normalize('NFC');
}

export function pinRulesText(rules: PinRules): string {
  return (
    `Use at least ${minimum(rules)} characters (digits are fine) and no spaces. Avoid repeated or sequential digits ` +
    '(such as 111111, 123456 or 121212) and common patterns.'
  );
}

/**
 * Throws `pin_invalid`, `pin_whitespace`, `pin_too_short`, `pin_too_long` or `pin_trivial` when a
 * new PIN is not acceptable. Only for choosing or changing a PIN: unlocking never checks the rules.
 */
export function assertPinAllowed(pin: unknown, rules: PinRules): asserts pin is string {
  const problem = pinProblem(pin, rules);
  if (problem) throw new FieldKeyError(problem.code, problem.message);
}

export function pinProblem(pin: unknown, rules: PinRules): { code: ErrorCode; message: string } | undefined {
  if (typeof pin !== 'string') return { code: 'pin_invalid', message: 'The PIN must be text.' };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(pin))
    return { code: 'pin_invalid', message: 'The PIN contains characters that cannot be typed.' };
  if (/\s/u.test(pin)) return { code: 'pin_whitespace', message: 'The PIN must not contain spaces. Choose a PIN without spaces.' };
  const chars = [...normalizePin(pin)];
  if (chars.length < minimum(rules)) return { code: 'pin_too_short', message: `The PIN must have at least ${minimum(rules)} characters.` };
  if (chars.length > MAX_PIN_LENGTH) return { code: 'pin_too_long', message: `The PIN must have at most ${MAX_PIN_LENGTH} characters.` };
  if (isTrivial(chars)) {
    return { code: 'pin_trivial', message: 'This PIN is too easy to guess (repeated, sequential or a common pattern). Choose another.' };
  }
  return undefined;
}

function minimum(rules: PinRules): number {
  return Math.max(1, Math.floor(rules.minLength));
}

function isTrivial(chars: string[]): boolean {
  const grouped = dedupeRepeats(chars);
  return isRun(chars) || (grouped !== undefined && isRun(grouped)) || isRepeatedBlock(chars) || BLOCKLIST.has(chars.join(''));
}

/** A sequence whose code points all step by +1 or all by -1 (one character, or all the same, counts). */
function isRun(chars: string[]): boolean {
  if (chars.length <= 1) return true;
  const digits = chars.every((c) => c >= '0' && c <= '9');
  const code = (c: string) => c.codePointAt(0)!;
  const steps = chars.slice(1).map((c, i) => {
    const step = code(c) - code(chars[i]!);
    return digits ? (step + 10) % 10 : step;
  });
  const up = 1;
  const down = digits ? 9 : -1;
  return steps.every((s) => s === 0) || steps.every((s) => s === up) || steps.every((s) => s === down);
}

/** `chars` as k copies of a shorter block (121212, 123123), for any block length up to half. */
function isRepeatedBlock(chars: string[]): boolean {
  const text = chars.join('');
  for (let size = 1; size <= chars.length / 2; size++) {
    if (chars.length % size !== 0) continue;
    if (
      chars
        .slice(0, size)
        .join('')
        .repeat(chars.length / size) === text
    )
      return true;
  }
  return false;
}

/** For a PIN made of runs of one length k >= 2 (112233, 111222), the sequence with each run once. */
function dedupeRepeats(chars: string[]): string[] | undefined {
  for (let k = 2; k <= chars.length / 2; k++) {
    if (chars.length % k !== 0) continue;
    const groups = chars.length / k;
    let uniform = true;
    for (let g = 0; g < groups && uniform; g++) {
      for (let i = 1; i < k; i++) if (chars[g * k + i] !== chars[g * k]) uniform = false;
    }
    if (uniform) return Array.from({ length: groups }, (_, g) => chars[g * k]!);
  }
  return undefined;
}
