/**
 * What a sealed session holds: the tokens from the IdP and anything else the online sign-in code
 * needs to keep secret. It is a JSON object; only the fields below have a fixed meaning.
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface SessionTokens {
  accessToken?: string;
  idToken?: string;
  refreshToken?: string;
  tokenType?: string;
  scope?: string;
  /** When the access token expires, in Unix seconds (like a JWT's `exp`). */
  expiresAt?: number;
  /** When the access token was received, in Unix seconds (local clock): its lifetime starts here. */
  receivedAt?: number;
  [extra: string]: JsonValue | undefined;
}

export function isSessionTokens(value: unknown): value is SessionTokens {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
