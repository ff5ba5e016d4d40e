/** Policy files for tests: the one the integration and e2e harnesses write for the demo IdP, and writing one. */
import { writeFileSync } from 'node:fs';
import type { DemoIdp } from '../../idp/demo-idp';
import { ARGON2_FLOOR } from '../../src/main/core/policy/policy-defaults';

/**
 * A policy for `idp`: its issuer and client, the profile and email scopes, Argon2id at OWASP's
 * floor (the smallest a valid policy allows, to keep unlocks quick) and the given clock skew;
 * `overrides` on top.
 */
export function demoIdpPolicy(
  idp: Pick<DemoIdp, 'issuer' | 'clientId'>,
  clockSkewSeconds: number,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    issuer: idp.issuer,
    clientId: idp.clientId,
    extraScopes: ['profile', 'email'],
    argon2: { ...ARGON2_FLOOR },
    clockSkewSeconds,
    ...overrides,
  };
}

/** Writes a policy file: a string as it is (to write broken files), anything else as indented JSON. */
export function writePolicyFile(path: string, document: unknown): void {
  writeFileSync(path, typeof document === 'string' ? document : JSON.stringify(document, null, 2));
}
