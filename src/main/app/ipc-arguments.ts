/**
 * Argument validators for every IPC call (handlers validate every argument).
 * The renderer is not trusted: each call gets exactly its arguments, of the right type, within
 * caps, or `invalid_argument`. Validators check shape and size only; the rules themselves (PIN
 * strength, note contents) stay with the module that owns them. Error messages never echo a value.
 */
import { NOTE_TEXT_MAX_CHARS, NOTE_TITLE_MAX_CHARS } from '../../shared/app-state';
import { FieldKeyError } from '../../shared/errors';
import type { InvokeArgs, InvokeMethod } from '../../shared/ipc-contract';
import { isAccountId } from '../core/accounts/account-id';
import { MAX_PIN_LENGTH } from '../core/secrets/pin-policy';

/** Longest PIN accepted over IPC, in UTF-16 units: MAX_PIN_LENGTH code points of up to 2 units each. */
const MAX_PIN_UNITS = MAX_PIN_LENGTH * 2;

export function invalidArgument(message: string): FieldKeyError {
  return new FieldKeyError('invalid_argument', message);
}

function accountId(value: unknown, name: string): string {
  if (!isAccountId(value)) throw invalidArgument(`${name} must be an account id.`);
  return value;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// Note text may hold line breaks and tabs, nothing else below U+0020.
// eslint-disable-next-line no-control-regex
const TEXT_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

function codePoints(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

function pin(value: unknown, name: string): string {
  if (typeof value !== 'string') throw invalidArgument(`${name} must be text.`);
  if (value.length === 0) throw invalidArgument(`${name} is empty.`);
  if (value.length > MAX_PIN_UNITS || codePoints(value) > MAX_PIN_LENGTH) {
    throw invalidArgument(`${name} is longer than ${MAX_PIN_LENGTH} characters.`);
  }
  if (CONTROL.test(value)) throw invalidArgument(`${name} contains characters that cannot be typed.`);
  return value;
}

function text(value: unknown, name: string, maxChars: number, control: RegExp): string {
  if (typeof value !== 'string') throw invalidArgument(`${name} must be text.`);
  if (value.length > maxChars * 2 || codePoints(value) > maxChars) throw invalidArgument(`${name} is longer than ${maxChars} characters.`);
  if (control.test(value)) throw invalidArgument(`${name} contains control characters.`);
  return value;
}

function noteId(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw invalidArgument('The note id must be a positive integer.');
  return value;
}

function arity(args: readonly unknown[], min: number, max: number = min): void {
  if (args.length < min || args.length > max) {
    throw invalidArgument(
      min === max ? `Expected ${min} argument(s), got ${args.length}.` : `Expected ${min} to ${max} arguments, got ${args.length}.`,
    );
  }
}

type Validators = { [M in InvokeMethod]: (args: readonly unknown[]) => InvokeArgs<M> };

const none = (args: readonly unknown[]): [] => {
  arity(args, 0);
  return [];
};

export const argumentValidators: Validators = {
  getState: none,
  signIn: (args) => {
    arity(args, 0, 1);
    // `undefined` (structured clone keeps it) and no argument both mean a new account.
    return args[0] === undefined ? [] : [accountId(args[0], 'The account')];
  },
  cancelSignIn: none,
  setPin: (args) => {
    arity(args, 2);
    return [pin(args[0], 'The PIN'), pin(args[1], 'The PIN confirmation')];
  },
  unlock: (args) => {
    arity(args, 2);
    return [accountId(args[0], 'The account'), pin(args[1], 'The PIN')];
  },
  lock: none,
  signOut: none,
  switchAccount: (args) => {
    arity(args, 1);
    return [accountId(args[0], 'The account')];
  },
  addAccount: none,
  forgotPin: (args) => {
    arity(args, 1);
    return [accountId(args[0], 'The account')];
  },
  retry: none,
  listNotes: none,
  getNote: (args) => {
    arity(args, 1);
    return [noteId(args[0])];
  },
  createNote: (args) => {
    arity(args, 2);
    return [
      text(args[0], 'The note title', NOTE_TITLE_MAX_CHARS, CONTROL),
      text(args[1], 'The note text', NOTE_TEXT_MAX_CHARS, TEXT_CONTROL),
    ];
  },
  updateNote: (args) => {
    arity(args, 3);
    return [
      noteId(args[0]),
      text(args[1], 'The note title', NOTE_TITLE_MAX_CHARS, CONTROL),
      text(args[2], 'The note text', NOTE_TEXT_MAX_CHARS, TEXT_CONTROL),
    ];
  },
  getSyncStatus: none,
  syncNow: none,
};

/** Checks `args` for `method`; throws `invalid_argument`. */
export function validateArguments<M extends InvokeMethod>(method: M, args: readonly unknown[]): InvokeArgs<M> {
  return (argumentValidators[method] as (a: readonly unknown[]) => InvokeArgs<M>)(args);
}
