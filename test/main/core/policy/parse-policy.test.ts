import { describe, expect, it } from 'vitest';
import { parsePolicy, policyProblems, validatePolicyDocument } from '../../../../src/main/core/policy/parse-policy';
import { PolicyInvalidError } from '../../../../src/main/core/policy/policy-errors';
import { isFieldKeyError } from '../../../../src/shared/errors';

const BASE = { issuer: 'https://auth.acme.com', clientId: 'fieldkey-desktop' };

function problemsOf(document: unknown): { field: string; reason: string }[] {
  try {
    validatePolicyDocument(document, 'test.json');
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyInvalidError);
    expect(isFieldKeyError(error, 'policy_invalid')).toBe(true);
    return [...(error as PolicyInvalidError).problems];
  }
  return [];
}

describe('policy validation: one problem per bad field, with the reason', () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    // required and empty
    ['missing issuer', { issuer: undefined }, 'issuer', /is required/],
    ['missing clientId', { clientId: undefined }, 'clientId', /is required/],
    ['empty issuer', { issuer: '' }, 'issuer', /non-empty/],
    ['issuer with trailing space', { issuer: 'https://auth.acme.com ' }, 'issuer', /leading or trailing spaces/],
    ['empty clientId', { clientId: '' }, 'clientId', /non-empty/],
    ['empty audience', { audience: '' }, 'audience', /non-empty/],
    // unknown keys
    [
      'unknown top-level key, with a suggestion',
      { gracePeriodHour: 24 },
      'gracePeriodHour',
      /unknown key.*did you mean "gracePeriodHours"/,
    ],
    ['unknown key, case slip', { ClientID: 'x' }, 'ClientID', /unknown key.*did you mean "clientId"/],
    ['unknown key without a near name', { telemetry: true }, 'telemetry', /^unknown key: FieldKey has no setting of that name$/],
    ['unknown key in pin', { pin: { minLenght: 6 } }, 'pin.minLenght', /unknown key: pin has no setting.*did you mean "minLength"/],
    [
      'unknown key in endpoints',
      { endpoints: { authorization: 'https://a/a', token: 'https://a/t', jwks: 'https://a/j', userinfo: 'https://a/u' } },
      'endpoints.userinfo',
      /unknown key/,
    ],
    // wrong types
    ['string for a number', { gracePeriodHours: '24' }, 'gracePeriodHours', /must be a whole number \(got "24"\)/],
    ['fraction for a whole number', { checkInIntervalDays: 1.5 }, 'checkInIntervalDays', /whole number \(got 1.5\)/],
    ['number for a string', { clientId: 42 }, 'clientId', /non-empty string.*\(got 42\)/],
    ['string for a list', { extraScopes: 'profile email' }, 'extraScopes', /must be a list/],
    ['number for an object', { pin: 6 }, 'pin', /must be an object/],
    ['boolean in a list', { requiredClaims: [true] }, 'requiredClaims[0]', /got true/],
    ['null', { audience: null }, 'audience', /got null/],
    ['bad offlineToken', { offlineToken: 'refresh' }, 'offlineToken', /must be one of "access", "id" \(got "refresh"\)/],
    // ranges
    ['negative grace', { gracePeriodHours: -1 }, 'gracePeriodHours', /at least 0 \(got -1\)/],
    ['grace above 30 days', { gracePeriodHours: 721, checkInIntervalDays: 90 }, 'gracePeriodHours', /at most 720/],
    ['zero check-in', { checkInIntervalDays: 0 }, 'checkInIntervalDays', /at least 1/],
    ['check-in above 90 days', { checkInIntervalDays: 91 }, 'checkInIntervalDays', /at most 90/],
    ['zero JWKS refresh', { jwksRefreshDays: 0 }, 'jwksRefreshDays', /at least 1/],
    ['negative refresh retry window', { refreshRetryWindowSeconds: -1 }, 'refreshRetryWindowSeconds', /at least 0/],
    ['refresh retry window above 5 minutes', { refreshRetryWindowSeconds: 301 }, 'refreshRetryWindowSeconds', /at most 300/],
    ['fractional refresh retry window', { refreshRetryWindowSeconds: 1.5 }, 'refreshRetryWindowSeconds', /whole number/],
    ['negative clock skew', { clockSkewSeconds: -5 }, 'clockSkewSeconds', /at least 0/],
    ['clock skew above an hour', { clockSkewSeconds: 3601 }, 'clockSkewSeconds', /at most 3600/],
    ['short PIN', { pin: { minLength: 2 } }, 'pin.minLength', /at least 6 \(got 2\)/],
    ['PIN minimum below 6', { pin: { minLength: 5 } }, 'pin.minLength', /at least 6 \(got 5\)/],
    ['long PIN minimum', { pin: { minLength: 65 } }, 'pin.minLength', /at most 64/],
    ['zero attempts', { pin: { maxAttempts: 0 } }, 'pin.maxAttempts', /at least 1/],
    ['too many attempts', { pin: { maxAttempts: 11 } }, 'pin.maxAttempts', /at most 10/],
    ['zero idle lock', { idleLockMinutes: 0 }, 'idleLockMinutes', /at least 1/],
    ['zero accounts', { maxAccounts: 0 }, 'maxAccounts', /at least 1/],
    ['too many accounts', { maxAccounts: 51 }, 'maxAccounts', /at most 50/],
    ['string for audit retention days', { auditRetentionDays: '365' }, 'auditRetentionDays', /must be a whole number \(got "365"\)/],
    ['fraction of an audit retention day', { auditRetentionDays: 0.5 }, 'auditRetentionDays', /whole number \(got 0.5\)/],
    ['zero audit retention days', { auditRetentionDays: 0 }, 'auditRetentionDays', /at least 1 \(got 0\)/],
    ['audit retention above ten years', { auditRetentionDays: 3651 }, 'auditRetentionDays', /at most 3650/],
    ['string for audit retention rows', { auditRetentionRows: '5000' }, 'auditRetentionRows', /must be a whole number \(got "5000"\)/],
    ['too few audit rows kept', { auditRetentionRows: 999 }, 'auditRetentionRows', /at least 1000 \(got 999\)/],
    ['too many audit rows kept', { auditRetentionRows: 10_000_001 }, 'auditRetentionRows', /at most 10000000/],
    [
      'api over plain http to another host',
      { api: { baseUrl: 'http://api.acme.com' } },
      'api.baseUrl',
      /plain http:\/\/ on "api.acme.com"/,
    ],
    ['api of another scheme', { api: { baseUrl: 'ftp://api.acme.com' } }, 'api.baseUrl', /https:\/\//],
    ['api without its base URL', { api: {} }, 'api.baseUrl', /required/],
    ['api as a string', { api: 'https://api.acme.com' }, 'api', /must be an object/],
    ['api with an unknown key', { api: { baseUrl: 'https://api.acme.com', timeout: 5 } }, 'api.timeout', /unknown key/],
    // argon2 floor
    ['argon2 memory under the OWASP floor', { argon2: { memoryKiB: 19455 } }, 'argon2.memoryKiB', /19456 \(OWASP's floor.*\(got 19455\)/],
    ['argon2 one iteration', { argon2: { iterations: 1 } }, 'argon2.iterations', /from 2 \(OWASP's floor\).*\(got 1\)/],
    ['argon2 no parallelism', { argon2: { parallelism: 0 } }, 'argon2.parallelism', /from 1 to 16 \(got 0\)/],
    ['argon2 memory above 1 GiB', { argon2: { memoryKiB: 2_000_000 } }, 'argon2.memoryKiB', /1048576/],
    ['argon2 target too fast', { argon2: { targetUnlockMs: 10 } }, 'argon2.targetUnlockMs', /at least 250/],
    [
      'argon2 target mixed with parameters',
      { argon2: { targetUnlockMs: 500, iterations: 3 } },
      'argon2.iterations',
      /cannot be combined with targetUnlockMs/,
    ],
    ['argon2 unknown member', { argon2: { memory: 65536 } }, 'argon2.memory', /unknown key.*did you mean "memoryKiB"/],
    // grace vs check-in
    [
      'grace longer than the check-in interval',
      { gracePeriodHours: 200, checkInIntervalDays: 7 },
      'gracePeriodHours',
      /200 h is longer than the check-in interval \(7 days = 168 h\)/,
    ],
    ['grace longer than the default check-in', { gracePeriodHours: 169 }, 'gracePeriodHours', /168 h, the default/],
    // URLs
    ['http issuer off loopback', { issuer: 'http://auth.acme.com' }, 'issuer', /plain http:\/\/ on "auth.acme.com".*unencrypted/],
    ['http issuer on a look-alike host', { issuer: 'http://localhost.acme.com' }, 'issuer', /plain http:\/\//],
    [
      'http issuer with loopback credentials trick',
      { issuer: 'http://127.0.0.1@evil.example' },
      'issuer',
      /plain http:\/\/ on "evil.example"/,
    ],
    ['issuer with a query', { issuer: 'https://auth.acme.com/?tenant=1' }, 'issuer', /\?query/],
    ['issuer with a fragment', { issuer: 'https://auth.acme.com/#x' }, 'issuer', /#fragment/],
    ['ftp issuer', { issuer: 'ftp://auth.acme.com' }, 'issuer', /https:\/\/ URL/],
    [
      'http discovery off loopback',
      { discoveryUrl: 'http://auth.acme.com/.well-known/openid-configuration' },
      'discoveryUrl',
      /plain http:\/\/ on "auth.acme.com"/,
    ],
    ['discovery URL with credentials', { discoveryUrl: 'https://user:pw@auth.acme.com/d' }, 'discoveryUrl', /user name or password/],
    ['discovery URL the URL parser refuses', { discoveryUrl: 'https://[bad/x' }, 'discoveryUrl', /not a valid URL/],
    [
      'discovery URL on loopback with a credentials trick',
      { discoveryUrl: 'http://127.0.0.1@evil.example/d' },
      'discoveryUrl',
      /plain http:\/\/ on "evil.example"/,
    ],
    ['discovery URL with a fragment', { discoveryUrl: 'https://auth.acme.com/d#x' }, 'discoveryUrl', /#fragment/],
    ['discovery URL not a URL', { discoveryUrl: 'auth.acme.com/.well-known' }, 'discoveryUrl', /not a valid URL/],
    [
      'http token endpoint',
      { endpoints: { authorization: 'https://a/a', token: 'http://auth.acme.com/token', jwks: 'https://a/j' } },
      'endpoints.token',
      /plain http:\/\//,
    ],
    [
      'http revocation endpoint',
      { endpoints: { authorization: 'https://a/a', token: 'https://a/t', jwks: 'https://a/j', revocation: 'http://10.0.0.1/r' } },
      'endpoints.revocation',
      /plain http:\/\/ on "10.0.0.1"/,
    ],
    [
      'endpoints without jwks',
      { endpoints: { authorization: 'https://a/a', token: 'https://a/t' } },
      'endpoints.jwks',
      /required when endpoints is given/,
    ],
    [
      'non-URL issuer without discovery',
      { issuer: 'acme.com' },
      'discoveryUrl',
      /required when the issuer is not a URL \("acme.com"\).*<tenantId>\/\.well-known\/openid-configuration/,
    ],
    // algorithms
    ['HS256', { allowedAlgorithms: ['RS256', 'HS256'] }, 'allowedAlgorithms[1]', /HS256 is HMAC.*cannot be verified offline/],
    ['hs512 in lower case', { allowedAlgorithms: ['hs512'] }, 'allowedAlgorithms[0]', /HMAC.*cannot be verified offline/],
    ['none', { allowedAlgorithms: ['none'] }, 'allowedAlgorithms[0]', /unsigned tokens.*never allowed/],
    ['unknown algorithm', { allowedAlgorithms: ['RS257'] }, 'allowedAlgorithms[0]', /unknown algorithm "RS257"/],
    ['wrong case algorithm', { allowedAlgorithms: ['eddsa'] }, 'allowedAlgorithms[0]', /case-sensitive/],
    ['no algorithms', { allowedAlgorithms: [] }, 'allowedAlgorithms', /must not be empty/],
    ['repeated algorithm', { allowedAlgorithms: ['ES256', 'ES256'] }, 'allowedAlgorithms', /lists "ES256" more than once/],
    ['algorithm that is a number', { allowedAlgorithms: [256] }, 'allowedAlgorithms[0]', /algorithm name \(got 256\)/],
    // scopes and claims
    ['scope with a space', { extraScopes: ['profile email'] }, 'extraScopes[0]', /without spaces/],
    ['empty claim', { requiredClaims: [''] }, 'requiredClaims[0]', /non-empty/],
    ['repeated scope', { extraScopes: ['email', 'email'] }, 'extraScopes', /more than once/],
    // redirect
    ['redirect without mode', { redirect: {} }, 'redirect.mode', /is required: "loopback", "fixed-port" or "custom-scheme"/],
    [
      'unknown redirect mode',
      { redirect: { mode: 'embedded' } },
      'redirect.mode',
      /must be one of "loopback", "fixed-port", "custom-scheme"/,
    ],
    ['fixed-port without a port', { redirect: { mode: 'fixed-port' } }, 'redirect.port', /required when redirect.mode is "fixed-port"/],
    ['fixed-port with a privileged port', { redirect: { mode: 'fixed-port', port: 80 } }, 'redirect.port', /1024 to 65535.*\(got 80\)/],
    ['fixed-port beyond 65535', { redirect: { mode: 'fixed-port', port: 70000 } }, 'redirect.port', /1024 to 65535/],
    ['fixed-port with a string port', { redirect: { mode: 'fixed-port', port: '8080' } }, 'redirect.port', /\(got "8080"\)/],
    [
      'port with loopback mode',
      { redirect: { mode: 'loopback', port: 8080 } },
      'redirect.port',
      /only allowed when redirect.mode is "fixed-port"/,
    ],
    [
      'custom-scheme without a uri',
      { redirect: { mode: 'custom-scheme' } },
      'redirect.uri',
      /required when redirect.mode is "custom-scheme"/,
    ],
    [
      'custom-scheme uri without a scheme',
      { redirect: { mode: 'custom-scheme', uri: '/callback' } },
      'redirect.uri',
      /custom scheme, such as com.acme.fieldkey:\/callback/,
    ],
    [
      'custom-scheme uri that is https',
      { redirect: { mode: 'custom-scheme', uri: 'https://acme.com/cb' } },
      'redirect.uri',
      /"https" scheme, which is not a custom scheme/,
    ],
    [
      'uri with fixed-port mode',
      { redirect: { mode: 'fixed-port', port: 8080, uri: 'x:/y' } },
      'redirect.uri',
      /only allowed when redirect.mode is "custom-scheme"/,
    ],
  ];

  it.each(cases)('%s', (_name, patch, field, reason) => {
    const document: Record<string, unknown> = { ...BASE, ...patch };
    for (const key of Object.keys(document)) if (document[key] === undefined) delete document[key];
    const problems = problemsOf(document);
    const problem = problems.find((p) => p.field === field);
    expect(problem, JSON.stringify(problems)).toBeDefined();
    expect(problem!.reason).toMatch(reason);
    // One problem per field, and nothing reported twice.
    expect(new Set(problems.map((p) => p.field)).size).toBe(problems.length);
  });

  it.each([
    ['array', [BASE]],
    ['string', 'issuer'],
    ['null', null],
  ])('refuses a document that is a %s, not an object', (_name, document) => {
    expect(problemsOf(document)).toEqual([{ field: '(document)', reason: 'the policy must be a JSON object ({ ... })' }]);
  });

  it.each([
    ['minimal URL issuer', BASE],
    ['loopback http issuer (127.0.0.1)', { ...BASE, issuer: 'http://127.0.0.1:9011' }],
    ['loopback http issuer ([::1])', { ...BASE, issuer: 'http://[::1]:9011/realm' }],
    ['loopback http issuer (localhost)', { ...BASE, issuer: 'http://localhost:9011' }],
    [
      'bare FusionAuth issuer with discovery',
      { ...BASE, issuer: 'acme.com', discoveryUrl: 'https://auth.acme.com/30663132/.well-known/openid-configuration' },
    ],
    [
      'bare issuer with explicit endpoints',
      { ...BASE, issuer: 'acme.com', endpoints: { authorization: 'https://a/a', token: 'https://a/t', jwks: 'https://a/j' } },
    ],
    ['grace exactly the check-in interval', { ...BASE, gracePeriodHours: 24, checkInIntervalDays: 1 }],
    ['grace zero', { ...BASE, gracePeriodHours: 0 }],
    ['argon2 at the floor', { ...BASE, argon2: { memoryKiB: 19456, iterations: 2, parallelism: 1 } }],
    ['argon2 empty object', { ...BASE, argon2: {} }],
    ['argon2 target', { ...BASE, argon2: { targetUnlockMs: 500 } }],
    ['audit retention at its minimums', { ...BASE, auditRetentionDays: 1, auditRetentionRows: 1000 }],
    ['audit retention at its maximums', { ...BASE, auditRetentionDays: 3650, auditRetentionRows: 10_000_000 }],
    ['an https API', { ...BASE, api: { baseUrl: 'https://api.acme.com/fieldkey' } }],
    ['a loopback http API', { ...BASE, api: { baseUrl: 'http://127.0.0.1:9021' } }],
    ['custom scheme', { ...BASE, redirect: { mode: 'custom-scheme', uri: 'com.acme.fieldkey:/callback' } }],
    ['fixed port', { ...BASE, redirect: { mode: 'fixed-port', port: 49152 } }],
    [
      'every algorithm FieldKey supports',
      { ...BASE, allowedAlgorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] },
    ],
    ['annotations', { ...BASE, $schema: './policy.schema.json', $comment: 'set by IT' }],
  ])('accepts %s', (_name, document) => {
    expect(policyProblems(document)).toEqual([]);
  });

  it('lists problems in the order of the document, missing keys first', () => {
    const problems = problemsOf({ maxAccounts: 0, issuer: 'http://a.example', pin: { minLength: 1 }, gracePeriodHours: -1 });
    expect(problems.map((p) => p.field)).toEqual(['clientId', 'maxAccounts', 'issuer', 'pin.minLength', 'gracePeriodHours']);
  });

  it('drops $schema and $comment from the policy', () => {
    const policy = validatePolicyDocument({ ...BASE, $schema: 'x', $comment: 'y' }, 'test.json');
    expect(Object.keys(policy)).not.toContain('$schema');
    expect(Object.keys(policy)).not.toContain('$comment');
  });

  it('reports every problem at once, one line each, in the message', () => {
    let error: PolicyInvalidError | undefined;
    try {
      validatePolicyDocument(
        { issuer: 'http://auth.acme.com', clientId: 'c', gracePeriodHour: 24, pin: { minLength: 2 }, allowedAlgorithms: ['HS256'] },
        '/etc/fieldkey/policy.json',
      );
    } catch (e) {
      error = e as PolicyInvalidError;
    }
    expect(error?.code).toBe('policy_invalid');
    expect(error?.source).toBe('/etc/fieldkey/policy.json');
    const lines = error!.message.split('\n');
    expect(lines[0]).toBe('Policy /etc/fieldkey/policy.json is invalid (4 problems):');
    expect(
      lines
        .slice(1)
        .map((l) => l.trim().split(':')[0])
        .sort(),
    ).toEqual(['allowedAlgorithms[0]', 'gracePeriodHour', 'issuer', 'pin.minLength']);
  });
});

describe('parsePolicy', () => {
  it('parses, validates and applies defaults', () => {
    const policy = parsePolicy(
      '\uFEFF{"issuer": "acme.com", "clientId": "app", "discoveryUrl": "https://auth.acme.com/.well-known/openid-configuration/t1", "gracePeriodHours": 12}',
      'p.json',
    );
    expect(policy).toMatchObject({ issuer: 'acme.com', audience: 'app', gracePeriodHours: 12, checkInIntervalDays: 7 });
  });

  it('says where invalid JSON breaks, without echoing the text', () => {
    const secretish = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
    let error: PolicyInvalidError | undefined;
    try {
      parsePolicy(`${secretish}\n`, 'token.txt');
    } catch (e) {
      error = e as PolicyInvalidError;
    }
    expect(error?.problems).toEqual([
      { field: '(document)', reason: "invalid JSON at line 1, column 1: unexpected character 'e': expected a value" },
    ]);
    expect(error?.message).not.toContain('eyJ');
  });

  it('reports duplicate keys together with schema problems', () => {
    let error: PolicyInvalidError | undefined;
    try {
      parsePolicy(
        '{"issuer": "https://a", "clientId": "c", "gracePeriodHours": 1, "gracePeriodHours": 2, "pin": {"minLength": 1}}',
        'p.json',
      );
    } catch (e) {
      error = e as PolicyInvalidError;
    }
    expect(error?.problems.map((p) => p.field)).toEqual(['gracePeriodHours', 'pin.minLength']);
    expect(error?.problems[0]?.reason).toMatch(/appears more than once/);
  });

  it('quotes long values only in part', () => {
    let error: PolicyInvalidError | undefined;
    try {
      parsePolicy(JSON.stringify({ ...BASE, audience: ' ' + 'x'.repeat(5000) }), 'p.json');
    } catch (e) {
      error = e as PolicyInvalidError;
    }
    expect(error!.message.length).toBeLessThan(300);
    expect(error!.message).toContain('...');
  });
});
