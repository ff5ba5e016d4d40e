import { describe, expect, it } from 'vitest';
import {
  AUDIT_DETAILS,
  AUDIT_EVENT_TYPES,
  validateAccount,
  validateDetails,
  type AuditDetailsInput,
  type AuditEventType,
} from '../../../../src/main/core/audit/audit-events';
import { looksLikeSecretName, secretShape } from '../../../../src/main/core/audit/secret-shapes';
import { ALLOWED_DETAILS, JWT, OPAQUE_REFRESH_TOKEN, PEM, SECRET_VALUES } from './audit-fixtures';

describe('event types', () => {
  it('are the fixed list, each with its own allowed details, none named like a secret', () => {
    expect([...AUDIT_EVENT_TYPES].sort()).toEqual(Object.keys(AUDIT_DETAILS).sort());
    expect(AUDIT_EVENT_TYPES).toHaveLength(20);
    for (const type of AUDIT_EVENT_TYPES) {
      for (const name of Object.keys(AUDIT_DETAILS[type])) expect(looksLikeSecretName(name), `${type}.${name}`).toBe(false);
    }
  });

  it('refuses an unknown type', () => {
    expect(() => validateDetails('password_seen' as AuditEventType, {})).toThrow(expect.objectContaining({ code: 'audit_event_unknown' }));
  });
});

describe.each(AUDIT_EVENT_TYPES)('details of %s', (type) => {
  it('accepts its allowed details, normalized', () => {
    const details = validateDetails(type, ALLOWED_DETAILS[type]);
    expect(Object.keys(details).sort()).toEqual(Object.keys(ALLOWED_DETAILS[type]).sort());
    expect(Object.keys(details).sort()).toEqual(Object.keys(AUDIT_DETAILS[type]).sort());
  });

  it.each(['token', 'accessToken', 'refresh_token', 'pin', 'newPin', 'deviceKey', 'secret', 'password', 'code_verifier'])(
    'refuses a detail named %s, without echoing its value',
    (name) => {
      let caught: unknown;
      try {
        validateDetails(type, { ...ALLOWED_DETAILS[type], [name]: OPAQUE_REFRESH_TOKEN });
      } catch (error) {
        caught = error;
      }
      expect(caught).toMatchObject({ code: 'audit_details_rejected' });
      expect((caught as Error).message).not.toContain(OPAQUE_REFRESH_TOKEN);
    },
  );

  it('refuses a secret-looking value in every allowed detail, without echoing it', () => {
    for (const name of Object.keys(AUDIT_DETAILS[type])) {
      for (const secret of SECRET_VALUES) {
        let caught: unknown;
        try {
          validateDetails(type, { ...ALLOWED_DETAILS[type], [name]: secret });
        } catch (error) {
          caught = error;
        }
        expect(caught, `${type}.${name} = ${secret.slice(0, 12)}`).toMatchObject({ code: 'audit_details_rejected' });
        expect((caught as Error).message).not.toContain(secret);
      }
    }
  });

  it('refuses a detail it does not allow, and nested values', () => {
    expect(() => validateDetails(type, { ...ALLOWED_DETAILS[type], unexpected: 'x' })).toThrow(
      expect.objectContaining({ code: 'audit_details_rejected' }),
    );
    const first = Object.keys(AUDIT_DETAILS[type])[0]!;
    expect(() => validateDetails(type, { [first]: { nested: 1 } } as unknown as AuditDetailsInput)).toThrow(
      expect.objectContaining({ code: 'audit_details_rejected' }),
    );
  });
});

describe('detail kinds', () => {
  it.each([
    ['count', 'lockout_wipe', 'failedAttempts', [-1, 1.5, '3', true, Number.NaN]],
    ['flag', 'refresh', 'rotated', ['true', 1, 0]],
    ['time', 'refresh', 'expiresAt', ['tomorrow', '2025-13-45T00:00:00Z', 1740000000, '2025-03-01']],
    ['text', 'account_removed', 'reason', [42, false, 'x'.repeat(201), 'line\nbreak']],
  ] as const)('%s refuses wrong values', (_kind, type, name, values) => {
    for (const value of values) {
      expect(() => validateDetails(type, { [name]: value } as AuditDetailsInput), String(value)).toThrow(
        expect.objectContaining({ code: 'audit_details_rejected' }),
      );
    }
  });

  it('stores a Date or an offset time as UTC ISO, keeps null, drops undefined', () => {
    expect(
      validateDetails('grace_entered', { expiredAt: new Date('2025-03-01T10:00:00Z'), graceEndsAt: '2025-03-02T12:00:00+02:00' }),
    ).toEqual({
      expiredAt: '2025-03-01T10:00:00.000Z',
      graceEndsAt: '2025-03-02T10:00:00.000Z',
    });
    expect(validateDetails('check_in_overdue', { lastCheckInAt: null, dueAt: undefined })).toEqual({ lastCheckInAt: null });
  });

  it('accepts an issuer URL (even with a tenant GUID) but not one carrying a query, fragment or credentials', () => {
    expect(validateDetails('sign_in', { issuer: 'https://idp.example.com/realms/acme' })).toEqual({
      issuer: 'https://idp.example.com/realms/acme',
    });
    for (const issuer of [
      `https://idp.example.com/cb?code=${OPAQUE_REFRESH_TOKEN}`,
      `https://idp.example.com/#access_token=${JWT}`,
      'https://user:pw@idp.example.com/',
    ]) {
      expect(() => validateDetails('sign_in', { issuer }), issuer).toThrow(expect.objectContaining({ code: 'audit_details_rejected' }));
    }
  });
});

describe('secret shapes', () => {
  it.each(SECRET_VALUES)('recognizes %s', (value) => {
    expect(secretShape(value)).toBeDefined();
  });

  it.each([
    'invalid_grant',
    'Refresh token is invalid or expired',
    'RefreshTokenExpiredException',
    'unauthorized_client_credentials_flow',
    '2025-03-01T10:00:00.000Z',
    'HTTP 503',
    'acme.com',
    'fieldkey-identity.corporate-network.example',
    '/etc/fieldkey/policy.json',
    'must be a number between 0 and 720',
    '123',
  ])('lets %s through', (value) => {
    expect(secretShape(value)).toBeUndefined();
  });
});

describe('validateAccount', () => {
  it('accepts issuer + sub keys and null', () => {
    expect(validateAccount('https://idp.example.com|3f2a7c1e-9b8d-4e6f-a1b2-c3d4e5f60718')).toBe(
      'https://idp.example.com|3f2a7c1e-9b8d-4e6f-a1b2-c3d4e5f60718',
    );
    expect(validateAccount(undefined)).toBeNull();
    expect(validateAccount(null)).toBeNull();
  });

  it.each([JWT, PEM, '', 'x'.repeat(513), 'a\u0000b'])('refuses %j', (account) => {
    expect(() => validateAccount(account)).toThrow(expect.objectContaining({ code: 'audit_details_rejected' }));
  });
});
