/** Example states for renderer tests and screenshots: one technician, two accounts, realistic times. */
import type { AppState, LockedState, UnlockedState } from '../../../src/shared/app-state';

export const TESS = { id: 'Jd2b0q6e3Xw0nQ3yL1kH5m9v8aZc4sPuR7tYwE2iGfA', displayName: 'Tess Technician', email: 'tech1@fieldkey.invalid' };
export const SAM = { id: 'Qm8Xk2Lw5Rz1Vb7Nc3Hd9Ty4Gp6Ja0SfUeKoWiBtMv', displayName: 'Sam Supervisor', email: 'tech2@fieldkey.invalid' };

const HOUR = 3_600_000;
const at = (offsetMs: number): string => new Date(Date.now() + offsetMs).toISOString();

export function signedOut(): AppState {
  return { status: 'signed-out', notice: null };
}

export function signingIn(): AppState {
  return { status: 'signing-in', notice: null, purpose: 'sign-in', account: null };
}

export function pinSetup(): AppState {
  return {
    status: 'pin-setup',
    notice: null,
    account: TESS,
    rules: {
      minLength: 6,
      maxLength: 64,
      text: 'Avoid repeated or sequential digits (such as 111111, 123456 or 121212) and common patterns.',
    },
  };
}

export function locked(overrides: Partial<LockedState> = {}): LockedState {
  return {
    status: 'locked',
    notice: null,
    accounts: [
      { ...TESS, hasSession: true, attemptsLeft: 5, retryAt: null },
      { ...SAM, hasSession: true, attemptsLeft: 5, retryAt: null },
    ],
    selectedAccountId: TESS.id,
    canAddAccount: true,
    ...overrides,
  };
}

export function unlocked(overrides: Partial<UnlockedState> = {}): UnlockedState {
  return {
    status: 'unlocked',
    notice: null,
    account: TESS,
    access: 'full',
    accessReason: 'valid',
    accessMessage: 'The sign-in is valid. FieldKey refreshes it while you are online.',
    decidedAt: at(0),
    tokenExpiresAt: at(12 * 60_000),
    fullAccessUntil: at(24 * HOUR + 12 * 60_000),
    readOnlyUntil: at(7 * 24 * HOUR - 3 * 60_000),
    offlineUntil: at(7 * 24 * HOUR - 3 * 60_000),
    lastCheckIn: at(-3 * 60_000),
    checkInDueAt: at(7 * 24 * HOUR - 3 * 60_000),
    roles: ['technician'],
    rolesAsOf: at(-3 * 60_000),
    online: true,
    canAddAccount: true,
    ...overrides,
  };
}

/** Offline in the grace period: the token expired 2 hours ago, full access goes on for 22 hours. */
export function gracePeriod(): UnlockedState {
  return unlocked({
    accessReason: 'grace_period',
    accessMessage: 'The sign-in has expired, and offline work goes on with full access through the grace period.',
    tokenExpiresAt: at(-2 * HOUR),
    fullAccessUntil: at(22 * HOUR),
    lastCheckIn: at(-2 * HOUR - 10 * 60_000),
    online: false,
  });
}

/** Offline after the grace period: read-only until the check-in falls due. */
export function readOnly(): UnlockedState {
  return unlocked({
    access: 'read-only',
    accessReason: 'expired',
    accessMessage: 'The grace period is over: notes can be read but not changed until FieldKey checks in again.',
    tokenExpiresAt: at(-26 * HOUR),
    fullAccessUntil: at(-2 * HOUR),
    readOnlyUntil: at(5 * 24 * HOUR),
    offlineUntil: at(5 * 24 * HOUR),
    checkInDueAt: at(5 * 24 * HOUR),
    lastCheckIn: at(-2 * 24 * HOUR),
    online: false,
  });
}

export function connectionRequired(): AppState {
  return {
    status: 'connection-required',
    notice: null,
    account: TESS,
    reason: 'expired',
    message: 'Offline access for Tess Technician ended: the sign-in expired more than 24 hours ago. Connect to the network to check in.',
  };
}

export function misconfigured(): AppState {
  return {
    status: 'misconfigured',
    notice: null,
    summary: 'FieldKey is not set up correctly on this laptop, so it cannot sign anyone in. Contact IT.',
    problems: [
      { field: 'issuer', message: 'is required' },
      { field: 'pin.minLength', message: 'must be at least 4 (got 2)' },
    ],
    source: '/etc/fieldkey/policy.json',
  };
}

/** The app could not start: the data directory is on a disk mounted read-only (the doctor's findings). */
export function storageUnavailable(): AppState {
  const dir = '/home/tess/.local/share/fieldkey';
  return {
    status: 'misconfigured',
    notice: null,
    summary: 'FieldKey cannot start on this laptop. Contact IT.',
    problems: [
      {
        field: null,
        code: 'data_dir_read_only',
        message: `The data directory ${dir} is on a disk mounted read-only: FieldKey can show what it stored but cannot sign in, count a PIN attempt or save a note. Mount the disk read-write (or point FIELDKEY_DATA_DIR at a writable directory with a copy of it). The files in it are intact: leave them where they are.`,
      },
      {
        field: null,
        code: 'database_unavailable',
        message: `The database ${dir}/fieldkey.db cannot be read right now (unable to open database file). If FieldKey is running, close it and try again; the file is not damaged by this, so leave it where it is.`,
      },
    ],
    source: null,
  };
}
