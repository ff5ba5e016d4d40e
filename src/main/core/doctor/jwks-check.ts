/**
 * Doctor: the configured issuer's cached key set. Which keys are usable is the offline decision's
 * own classification (cached-keys.ts) and key selection (key-selection.ts); the age is compared with
 * the policy's refresh interval (policy-durations.ts). Key ids, types and algorithms only: no key
 * material leaves this module.
 */
import { classifyKey, keyId, type CachedKey } from '../offline/cached-keys';
import { selectKey } from '../offline/key-selection';
import { jwksRefreshMs } from '../policy/policy-durations';
import type { Policy } from '../policy/policy-types';
import type { JwksFetchRecord, StoredKeyRecord } from '../records/jwks-store';
import { checked, iso, note, problem, seconds, type Finding, type JwksKeyFacts, type JwksSection } from './doctor-report';
import { formatDuration } from './durations-text';

export interface JwksCheckInput {
  policy: Pick<Policy, 'issuer' | 'allowedAlgorithms' | 'jwksRefreshDays'>;
  records: readonly StoredKeyRecord[];
  lastSuccessfulFetch: JwksFetchRecord | undefined;
  now: Date;
  /** How many accounts rely on these keys: without any, missing or stale keys are only a note. */
  accountCount: number;
  /** Key rows whose MAC fails under the installation's record key (never used by the app); 0 when not judged. */
  untrustedCount?: number;
}

export interface JwksCheck {
  section: JwksSection;
  /** Why no token of the issuer can be verified offline whatever it holds, when that is so. */
  cannotVerify: { code: string; message: string } | undefined;
}

export function checkJwks(input: JwksCheckInput): JwksCheck {
  const { policy, records, now } = input;
  const keys: CachedKey[] = records.map((record) => record.key);
  const facts = records.map(keyFacts);
  const verifiableAlgorithms = policy.allowedAlgorithms.filter((alg) => {
    const selection = selectKey(keys, alg, undefined, policy.issuer);
    return selection.ok || selection.reason === 'ambiguous_key';
  });

  const findings: Finding[] = [];
  const hasAccounts = input.accountCount > 0;
  let cannotVerify: JwksCheck['cannotVerify'];
  const usableCount = facts.filter((key) => key.state === 'usable').length;
  const firstAllowed = policy.allowedAlgorithms[0];
  if (usableCount === 0) {
    const selection = firstAllowed === undefined ? undefined : selectKey(keys, firstAllowed, undefined, policy.issuer);
    const message =
      selection && !selection.ok ? selection.message : `No usable signing key is cached for issuer ${JSON.stringify(policy.issuer)}.`;
    if (keys.length === 0 && !hasAccounts) {
      findings.push(
        note(
          'jwks_missing',
          `No key is cached yet for issuer ${JSON.stringify(policy.issuer)}: the key set is fetched at the first sign-in (or imported from a bundled jwks.json).`,
        ),
      );
    } else {
      const code = keys.length === 0 ? 'jwks_missing' : 'jwks_no_usable_keys';
      findings.push(problem(code, message));
      cannotVerify = { code: 'no_usable_keys', message };
    }
  } else if (verifiableAlgorithms.length === 0) {
    const types = [...new Set(facts.filter((key) => key.state === 'usable').map((key) => key.type))].join(', ');
    const message = `No cached key of issuer ${JSON.stringify(policy.issuer)} can verify an algorithm the policy allows (allowed: ${policy.allowedAlgorithms.join(', ')}; cached: ${types}).`;
    findings.push(problem('jwks_no_allowed_keys', message));
    cannotVerify = { code: 'no_usable_keys', message };
  }

  const last = input.lastSuccessfulFetch;
  const ageMs = last ? now.getTime() - last.fetchedAt.getTime() : undefined;
  const stale = ageMs === undefined || ageMs >= jwksRefreshMs(policy);
  if (stale && keys.length > 0) {
    const what =
      ageMs === undefined
        ? `was never fetched from the identity provider (bundled keys only)`
        : `was last fetched ${formatDuration(ageMs)} ago, at ${last!.fetchedAt.toISOString()}`;
    const message = `The key set of issuer ${JSON.stringify(policy.issuer)} ${what}; the policy refreshes it every ${policy.jwksRefreshDays} d. FieldKey refreshes it when online; until then tokens signed with a newly rotated key cannot be verified offline.`;
    findings.push(hasAccounts ? problem('jwks_stale', message) : note('jwks_stale', message));
  }
  if (input.untrustedCount) {
    findings.push(
      problem(
        'jwks_tampered',
        `${input.untrustedCount} cached key(s) of ${policy.issuer} were written outside FieldKey (their MAC does not verify): the app never uses them. Connect so FieldKey fetches the issuer's keys again, and keep the database for IT.`,
      ),
    );
  }

  return {
    cannotVerify,
    section: {
      ...checked(findings),
      issuer: policy.issuer,
      keys: facts,
      usableCount,
      removedCount: facts.filter((key) => key.state === 'removed').length,
      verifiableAlgorithms,
      lastSuccessfulFetch: iso(last?.fetchedAt),
      ageSeconds: ageMs === undefined ? null : seconds(ageMs),
      refreshDays: policy.jwksRefreshDays,
      stale,
    },
  };
}

function keyFacts(record: StoredKeyRecord): JwksKeyFacts {
  const classified = classifyKey(record.key);
  const kty = (record.key.jwk as { kty?: unknown }).kty;
  return {
    kid: keyId(record.key) ?? null,
    alg: record.key.alg ?? (typeof record.key.jwk.alg === 'string' ? record.key.jwk.alg : null),
    type: classified.usable ? classified.key.type : typeof kty === 'string' ? kty.slice(0, 16) : 'unknown',
    algorithms: classified.usable ? [...classified.key.algorithms] : [],
    source: record.source,
    state: classified.usable ? 'usable' : classified.because,
    firstSeenAt: record.firstSeenAt.toISOString(),
    lastSeenAt: record.lastSeenAt.toISOString(),
    removedAt: iso(record.key.removedAt),
  };
}
