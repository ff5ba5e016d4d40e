/**
 * Recognizes values and names that look like secrets, so none reaches the audit log by mistake
 * (never a token, PIN or key). Deliberately conservative: a false alarm costs a
 * rejected detail, a miss costs a leaked secret.
 */

/** Detail names that suggest a secret: token, PIN, key, secret, password and their relatives. */
const SECRET_NAME = /token|pin|key|secret|passw|credential|cookie|verifier|bearer|assertion/i;

/** A JWS/JWE (header `eyJ…` = base64url of `{"`), or any three long dot-separated base64url segments. */
const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*\.|[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/;
const PEM_SHAPE = /-----BEGIN [A-Z0-9 ]+-----/;
const TOKEN_RUN = /[A-Za-z0-9+/=_-]{20,}/g;
const ALL_DIGITS = /^\d{4,}$/;

export function looksLikeSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** Why `text` looks like a secret, or undefined when it does not. */
export function secretShape(text: string): string | undefined {
  if (JWT_SHAPE.test(text)) return 'looks like a token (JWT)';
  if (PEM_SHAPE.test(text)) return 'looks like a key (PEM)';
  if (ALL_DIGITS.test(text)) return 'looks like a PIN (only digits)';
  for (const run of text.match(TOKEN_RUN) ?? []) {
    if (isHighEntropy(run)) return 'looks like a token or key (long high-entropy string)';
  }
  return undefined;
}

/**
 * A run of token characters is treated as a secret when it mixes letters and digits (random hex,
 * base64url) or, from 32 characters, upper and lower case, and its Shannon entropy is high. Words
 * joined by `_` or `-` (`invalid_grant`, `RefreshTokenExpired`) are not.
 */
/** What a redacted part of a text is replaced with. */
export const REDACTED = '[redacted]';

const JWT_RUN = /eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)*/g;
const PEM_BLOCK = /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(?:-----END [A-Z0-9 ]+-----|$)/g;
/** `refresh_token=...`, `"pin": "..."`, `?code=...`: the value after a secret's name (`name=` or JSON's `"name": "`). */
const NAMED_VALUE =
  /((?:[A-Za-z0-9_-]*(?:token|pin|key|secret|passw|credential|cookie|verifier|bearer|assertion)[A-Za-z0-9_-]*|[?&](?:code|state))["']?(?:=|:(?=\s*["']))\s*["']?)[^\s"'&,;)}]+/gi;
const BEARER_VALUE = /\b(Bearer\s+)[^\s"',;]+/gi;
/** A run of six or more digits on its own: a PIN (the policy's shortest) or longer. */
const DIGIT_RUN = /(?<![\w.:/-])\d{6,}(?![\w.])/g;

/**
 * `text` with everything that looks like a secret replaced by REDACTED: JWTs, PEM blocks, values
 * named like secrets, bearer credentials, long high-entropy runs (tokens, keys) and runs of six or
 * more digits (PINs). For free text such as log lines, where refusing the whole text is not an option.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(PEM_BLOCK, REDACTED)
    .replace(JWT_RUN, REDACTED)
    .replace(NAMED_VALUE, `$1${REDACTED}`)
    .replace(BEARER_VALUE, `$1${REDACTED}`)
    .replace(TOKEN_RUN, (run) => (isHighEntropy(run) ? REDACTED : run))
    .replace(DIGIT_RUN, REDACTED);
}

function isHighEntropy(run: string): boolean {
  const hasDigit = /\d/.test(run);
  const hasLetter = /[A-Za-z]/.test(run);
  const mixedCase = /[a-z]/.test(run) && /[A-Z]/.test(run);
  const bits = shannonBitsPerChar(run);
  return (hasDigit && hasLetter && bits >= 3) || (run.length >= 32 && mixedCase && bits >= 3.5);
}

function shannonBitsPerChar(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}
