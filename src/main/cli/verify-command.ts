/**
 * `fieldkey verify`: decide a token offline exactly as the app would, and print the decision as one
 * JSON object (the documented fields of decision.ts's DecisionSummary; never the claims).
 *
 *   fieldkey verify --jwks FILE --issuer ISS --audience AUD [--policy FILE] [--token-type access|id]
 *                   [--now ISO] [--last-server-time ISO] [--high-water ISO] [--last-check-in ISO]
 *                   TOKEN | -
 *
 * Exit status: 0 full (`valid` or `grace_period`), 3 read-only, 1 denied, 2 usage or configuration
 * error (message on stderr; with `--json`, `{ "error": { "code", "message" } }` on stdout).
 * `--issuer`/`--audience` override the policy's; without `--policy` both are required and the
 * defaults apply. A time record not given skips its check; `--now` defaults to the current time.
 * `-` reads the token from stdin. Whitespace around the token is ignored.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isFieldKeyError, type ErrorCode } from '../../shared/errors';
import { systemClock } from '../core/clock';
import { keysFromJwks, type CachedKey } from '../core/offline/cached-keys';
import { summarizeDecision, type ClockReadings, type Decision } from '../core/offline/decision';
import { verifyOffline } from '../core/offline/verify-offline';
import { withDefaults } from '../core/policy/policy-defaults';
import type { Policy } from '../core/policy/policy-types';
import { describeFsError, readPolicyFile } from '../core/policy/read-policy-file';
import { EXIT_USAGE, readAll, USAGE_ERROR, writeError, writeLine, type Command } from './cli-io';

export const VERIFY_USAGE = `usage: fieldkey verify --jwks FILE --issuer ISS --audience AUD [--policy FILE] [--token-type access|id]
                       [--now ISO] [--last-server-time ISO] [--high-water ISO] [--last-check-in ISO] [--json] TOKEN | -

Decides TOKEN offline as the app would and prints one JSON object: decision (full, read-only,
denied), reason, and where known sub, kid, alg, expiresAt, fullUntil (exp + grace), readOnlyUntil
(when the read-only tier is bounded), checkInDueAt, message.
  --jwks FILE            the issuer's key set (JWKS JSON)
  --issuer, --audience   expected iss and aud (override the policy's; required without --policy)
  --policy FILE          an IT policy file (defaults apply without it)
  --token-type TYPE      access (default) or id: the same claims are checked; nonce is not required
  --now ISO              the local clock (default: the current time)
  --last-server-time ISO, --high-water ISO   clock records; an earlier --now is a clock rollback
  --last-check-in ISO    the last online check-in; past the policy interval is check_in_overdue
                         (it also bounds the read-only tier)
  --json                 errors too as JSON on stdout: { "error": { "code", "message" } }
  TOKEN | -              the token, or - to read it from stdin
Exit status: 0 full (valid or grace_period), 3 read-only, 1 denied, 2 usage or configuration error.`;

export const EXIT_FOR_DECISION: Readonly<Record<Decision, number>> = { full: 0, 'read-only': 3, denied: 1 };

/** A JWKS is a few kilobytes; anything this big is the wrong file. */
const MAX_JWKS_BYTES = 1024 * 1024;

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/i;

/** A usage or configuration error: exit 2 with the message (and the usage text for argument mistakes). */
class UsageError extends Error {
  constructor(
    message: string,
    readonly showUsage = true,
    /** The code under `--json`: `usage_error` for argument mistakes, else what was wrong. */
    readonly code: ErrorCode = USAGE_ERROR,
  ) {
    super(message);
  }
}

/** An ISO 8601 instant with a date, a time and a zone (`Z` or `+hh:mm`); undefined when it is not one. */
export function parseIsoInstant(text: string): Date | undefined {
  const match = ISO_INSTANT.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second, zoneHours, zoneMinutes] = match.slice(1).map((part) => Number(part ?? '0')) as number[];
  const calendar = new Date(Date.UTC(year!, month! - 1, day!));
  if (calendar.getUTCMonth() !== month! - 1 || calendar.getUTCDate() !== day!) return undefined;
  if (hour! > 23 || minute! > 59 || second! > 59 || zoneHours! > 23 || zoneMinutes! > 59) return undefined;
  const date = new Date(text);
  return Number.isFinite(date.getTime()) ? date : undefined;
}

function timeOption(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = parseIsoInstant(value);
  if (!date) throw new UsageError(`--${name} must be an ISO 8601 date and time with a zone, e.g. 2026-06-01T12:00:00Z`);
  return date;
}

function readKeys(path: string): CachedKey[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new UsageError(`cannot read the JWKS file ${path}: ${describeFsError(error)}`, false, 'jwks_unreadable');
  }
  if (bytes.length > MAX_JWKS_BYTES)
    throw new UsageError(`the JWKS file ${path} is ${bytes.length} bytes; a key set is at most ${MAX_JWKS_BYTES}`, false, 'jwks_invalid');
  let document: unknown;
  try {
    document = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
  } catch {
    throw new UsageError(`the JWKS file ${path} is not valid JSON`, false, 'jwks_invalid');
  }
  try {
    return keysFromJwks(document);
  } catch (error) {
    if (isFieldKeyError(error, 'jwks_invalid')) throw new UsageError(`${path}: ${error.message}`, false, error.code);
    throw error;
  }
}

function policyFrom(values: { policy?: string; issuer?: string; audience?: string; 'token-type'?: string }): Policy {
  for (const name of ['issuer', 'audience'] as const) {
    if (values[name] === '') throw new UsageError(`--${name} must not be empty`);
  }
  let policy: Policy;
  if (values.policy !== undefined) {
    try {
      policy = readPolicyFile(values.policy);
    } catch (error) {
      if (isFieldKeyError(error)) throw new UsageError(error.message, false, error.code);
      throw error;
    }
    if (values.issuer !== undefined) policy.issuer = values.issuer;
    if (values.audience !== undefined) policy.audience = values.audience;
  } else {
    if (values.issuer === undefined) throw new UsageError('--issuer is required without --policy');
    if (values.audience === undefined) throw new UsageError('--audience is required without --policy');
    policy = withDefaults({ issuer: values.issuer, clientId: values.audience, audience: values.audience });
  }
  const tokenType = values['token-type'];
  if (tokenType !== undefined) {
    if (tokenType !== 'access' && tokenType !== 'id') throw new UsageError('--token-type must be access or id');
    policy.offlineToken = tokenType;
  }
  return policy;
}

export const verifyCommand: Command = async (args, io) => {
  const json = args.includes('--json');
  try {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        jwks: { type: 'string' },
        issuer: { type: 'string' },
        audience: { type: 'string' },
        policy: { type: 'string' },
        'token-type': { type: 'string' },
        now: { type: 'string' },
        'last-server-time': { type: 'string' },
        'high-water': { type: 'string' },
        'last-check-in': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      writeLine(io.stdout, VERIFY_USAGE);
      return 0;
    }
    if (positionals.length !== 1)
      throw new UsageError(positionals.length === 0 ? 'a TOKEN (or - for stdin) is required' : 'exactly one TOKEN is expected');
    if (values.jwks === undefined) throw new UsageError('--jwks is required');

    const policy = policyFrom(values);
    const clock: ClockReadings = { now: timeOption('now', values.now) ?? systemClock.now() };
    const lastServerTime = timeOption('last-server-time', values['last-server-time']);
    const highWater = timeOption('high-water', values['high-water']);
    const lastCheckIn = timeOption('last-check-in', values['last-check-in']);
    if (lastServerTime) clock.lastServerTime = lastServerTime;
    if (highWater) clock.highWater = highWater;
    if (lastCheckIn) clock.lastCheckIn = lastCheckIn;
    const keys = readKeys(values.jwks);
    const token = (positionals[0] === '-' ? await readAll(io.stdin) : positionals[0]!).trim();

    const result = await verifyOffline(token, keys, policy, clock);
    writeLine(io.stdout, JSON.stringify(summarizeDecision(result)));
    return EXIT_FOR_DECISION[result.decision];
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const argumentError = typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
    if (!(error instanceof UsageError) && !argumentError) throw error;
    const showUsage = argumentError || (error as UsageError).showUsage;
    const errorCode = error instanceof UsageError ? error.code : USAGE_ERROR;
    writeError(io, json, 'fieldkey verify', { code: errorCode, message: (error as Error).message }, showUsage ? VERIFY_USAGE : undefined);
    return EXIT_USAGE;
  }
};
