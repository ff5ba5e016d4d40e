/**
 * Migration 5: `sealed_sessions.offline_expires_at`, the `exp` (INTEGER ms since the Unix epoch) of
 * the token the policy verifies offline (`offlineToken`), kept in clear beside the sealed row so that
 * `fieldkey doctor`, which never asks for the PIN, can state an account's offline decision and until
 * when it holds. NULL when the token has no readable `exp`, and for sessions sealed before this
 * migration (until they are next sealed or re-sealed).
 *
 * It is advisory, for doctor only, and not covered by the row MAC: when to expire is not a secret,
 * and the app never decides from it (after an unlock it decides from the token itself, whose
 * signature and claims are verified again; see secrets/offline-expiry.ts).
 */
export const sessionExpirySchema = `
ALTER TABLE sealed_sessions ADD COLUMN offline_expires_at INTEGER;
`;
