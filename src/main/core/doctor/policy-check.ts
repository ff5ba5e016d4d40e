/**
 * Doctor: the policy this machine uses (valid? from where? the problems if not), and the bundled
 * `jwks.json` beside it. Loading and validation are load-policy.ts's; this only reports.
 */
import { isFieldKeyError, toErrorData } from '../../../shared/errors';
import { classifyKey, keyId, keysFromJwks } from '../offline/cached-keys';
import { describePolicySource, type LoadedPolicy } from '../policy/load-policy';
import { PolicyInvalidError } from '../policy/policy-errors';
import type { Policy } from '../policy/policy-types';
import { checked, note, problem, type BundledJwksFacts, type Finding, type PolicySection, type PolicySettings } from './doctor-report';

export interface PolicyCheckDeps {
  loadPolicy: () => Promise<LoadedPolicy>;
  /** Reads a file's bytes (the bundled `jwks.json`); throws when it cannot. */
  readFile: (path: string) => Buffer;
}

export interface PolicyCheck {
  section: PolicySection;
  /** The policy in force, when it is valid. */
  policy: Policy | undefined;
}

/** A key set is a few kilobytes; anything this big is the wrong file. */
const MAX_BUNDLED_JWKS_BYTES = 1024 * 1024;

export async function checkPolicy(deps: PolicyCheckDeps): Promise<PolicyCheck> {
  let loaded: LoadedPolicy;
  try {
    loaded = await deps.loadPolicy();
  } catch (error) {
    const data = toErrorData(error);
    const invalid = error instanceof PolicyInvalidError ? error : undefined;
    const code = isFieldKeyError(error) ? error.code : data.code;
    return {
      policy: undefined,
      section: {
        ...checked([problem(code, `${data.message}${isFieldKeyError(error) ? '' : ' (while loading the policy)'}`)]),
        valid: false,
        source: null,
        errorCode: code,
        invalidSource: invalid?.source ?? null,
        problems: invalid ? invalid.problems.map((p) => ({ field: p.field, reason: p.reason })) : [],
        settings: null,
        bundledJwks: null,
      },
    };
  }

  const { policy, source } = loaded;
  const findings: Finding[] = [];
  if (source.kind === 'demo') {
    findings.push(
      note('demo_policy', 'No policy is configured on this machine: FieldKey uses the built-in demo policy, for development only.'),
    );
  }
  let bundledJwks: BundledJwksFacts | null = null;
  if (loaded.bundledJwksPath !== undefined) {
    bundledJwks = readBundledJwks(loaded.bundledJwksPath, deps.readFile);
    if (!bundledJwks.valid)
      findings.push(problem('bundled_jwks_invalid', `The bundled JWKS ${bundledJwks.path} cannot be used: ${bundledJwks.error}`));
  }
  return {
    policy,
    section: {
      ...checked(findings),
      valid: true,
      source: {
        kind: source.kind,
        location: source.location,
        machineFile: source.machineFile ?? null,
        description: describePolicySource(source),
      },
      errorCode: null,
      invalidSource: null,
      problems: [],
      settings: settingsOf(policy),
      bundledJwks,
    },
  };
}

function settingsOf(policy: Policy): PolicySettings {
  return {
    issuer: policy.issuer,
    clientId: policy.clientId,
    audience: policy.audience,
    idp: policy.idp,
    offlineToken: policy.offlineToken,
    allowedAlgorithms: [...policy.allowedAlgorithms],
    gracePeriodHours: policy.gracePeriodHours,
    readOnlyHours: policy.readOnlyHours,
    checkInIntervalDays: policy.checkInIntervalDays,
    jwksRefreshDays: policy.jwksRefreshDays,
    clockSkewSeconds: policy.clockSkewSeconds,
    pinMinLength: policy.pin.minLength,
    maxAttempts: policy.pin.maxAttempts,
    maxAccounts: policy.maxAccounts,
  };
}

/** Reads and validates IT's bundled key set (keysFromJwks), keeping only its key ids. */
export function readBundledJwks(path: string, readFile: (path: string) => Buffer): BundledJwksFacts {
  const invalid = (error: string): BundledJwksFacts => ({ path, valid: false, keyCount: 0, kids: [], error });
  let bytes: Buffer;
  try {
    bytes = readFile(path);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    return invalid(`it cannot be read${typeof code === 'string' ? ` (${code})` : ''}.`);
  }
  if (bytes.length > MAX_BUNDLED_JWKS_BYTES) return invalid(`it is ${bytes.length} bytes; a key set is at most ${MAX_BUNDLED_JWKS_BYTES}.`);
  let document: unknown;
  try {
    document = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
  } catch {
    return invalid('it is not valid JSON.');
  }
  let keys;
  try {
    keys = keysFromJwks(document);
  } catch (error) {
    return invalid(isFieldKeyError(error, 'jwks_invalid') ? error.message : 'it is not a JSON Web Key Set.');
  }
  if (!keys.some((key) => classifyKey(key).usable)) {
    return { path, valid: false, keyCount: keys.length, kids: kidsOf(keys), error: 'it holds no usable signing key (RSA, EC or Ed25519).' };
  }
  return { path, valid: true, keyCount: keys.length, kids: kidsOf(keys), error: null };
}

function kidsOf(keys: Parameters<typeof keyId>[0][]): string[] {
  return keys.map((key) => keyId(key)).filter((kid): kid is string => kid !== undefined);
}
