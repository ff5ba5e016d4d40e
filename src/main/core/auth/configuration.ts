/**
 * The policy in force, or what IT must fix (an invalid policy is fail-closed).
 * `loadPolicy` decides where the policy comes from; this turns its refusal into the `misconfigured`
 * state's problems (one per invalid field, or the loader's message) and the `policy_invalid` audit
 * details.
 */
import type { ConfigurationProblem, PinRulesView } from '../../../shared/app-state';
import { FieldKeyError } from '../../../shared/errors';
import type { Env } from '../environment';
import { loadPolicy, type LoadedPolicy } from '../policy/load-policy';
import { PolicyInvalidError } from '../policy/policy-errors';
import type { Policy } from '../policy/policy-types';
import { MAX_PIN_LENGTH, pinRulesText } from '../secrets/pin-policy';
import type { ConfigurationFacts } from './state-derivation';

export const MISCONFIGURED_SUMMARY = 'FieldKey is not set up correctly on this laptop, so it cannot sign anyone in. Contact IT.';

export interface PolicyLoadOptions {
  /** Whether FIELDKEY_POLICY is honoured (default true; a packaged app may pass false). */
  honorEnvPolicy?: boolean;
  /** Whether the built-in demo policy may be used when nothing is configured (default true; false in a packaged app). */
  allowDemo?: boolean;
}

export type Configuration =
  | { ok: true; loaded: LoadedPolicy; facts: Extract<ConfigurationFacts, { ok: true }> }
  | { ok: false; facts: Extract<ConfigurationFacts, { ok: false }>; code: string };

export async function loadConfiguration(env: Env, platform: NodeJS.Platform, options: PolicyLoadOptions = {}): Promise<Configuration> {
  try {
    const loaded = await loadPolicy({ env, platform, ...options });
    return { ok: true, loaded, facts: { ok: true, pinRules: pinRulesView(loaded.policy), maxAccounts: loaded.policy.maxAccounts } };
  } catch (error) {
    return misconfiguration(error);
  }
}

/** The `misconfigured` facts for an error from `loadPolicy` (or anything else that stops start-up). */
export function misconfiguration(error: unknown): Extract<Configuration, { ok: false }> {
  if (error instanceof PolicyInvalidError) {
    return {
      ok: false,
      code: error.code,
      facts: {
        ok: false,
        summary: MISCONFIGURED_SUMMARY,
        problems: error.problems.map((p) => ({ field: p.field, message: p.reason })),
        source: error.source,
      },
    };
  }
  const problem: ConfigurationProblem = {
    field: null,
    message: error instanceof FieldKeyError ? error.message : 'The FieldKey policy could not be loaded.',
  };
  return {
    ok: false,
    code: error instanceof FieldKeyError ? error.code : 'policy_unreadable',
    facts: { ok: false, summary: MISCONFIGURED_SUMMARY, problems: [problem], source: null },
  };
}

export function pinRulesView(policy: Pick<Policy, 'pin'>): PinRulesView {
  return { minLength: policy.pin.minLength, maxLength: MAX_PIN_LENGTH, text: pinRulesText(policy.pin) };
}

/** The `policy_invalid` audit details: where, the first field, and the error code (short, never a value). */
export function policyInvalidDetails(configuration: Extract<Configuration, { ok: false }>): {
  source: string | null;
  field: string | null;
  reason: string;
} {
  const first = configuration.facts.problems[0];
  return {
    source: configuration.facts.source?.slice(-200) ?? null,
    field: first?.field?.slice(0, 200) ?? null,
    reason: configuration.code,
  };
}
