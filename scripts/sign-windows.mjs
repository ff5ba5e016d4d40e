// electron-builder sign hook for Windows release builds (electron-builder.release.yml: win.signtoolOptions.sign).
// Code-signing keys issued since June 2023 live on hardware (a token or an HSM service), so there is no
// .pfx for WIN_CSC_LINK; this hook signs each file with signtool.exe through one of:
//   - a certificate on a hardware token, which the token's driver exposes in the Windows certificate
//     store, chosen by its SHA-1 thumbprint: FIELDKEY_SIGN_CERT_SHA1;
//   - Azure Trusted Signing through its signtool plug-in: FIELDKEY_TRUSTED_SIGNING_DLIB (the path of
//     Azure.CodeSigning.Dlib.dll) and FIELDKEY_TRUSTED_SIGNING_METADATA (its metadata JSON: endpoint,
//     code signing account, certificate profile).
// FIELDKEY_SIGNTOOL is signtool.exe's path (default: signtool.exe on PATH), FIELDKEY_SIGN_TIMESTAMP_URL
// the RFC 3161 timestamp server (defaults: Microsoft's for Trusted Signing, electron-builder's otherwise).
// SHA-256 only: the release config sets signingHashAlgorithms to [sha256], so each file is signed once.
// Errors carry a stable `code` (sign_not_configured, sign_ambiguous, sign_hash_unsupported, sign_failed).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const TOKEN_TIMESTAMP_URL = 'http://timestamp.digicert.com';
const TRUSTED_SIGNING_TIMESTAMP_URL = 'http://timestamp.acs.microsoft.com';

function signError(code, message) {
  return Object.assign(new Error(message), { code });
}

/** signtool's arguments for signing `file` as the environment says, or an error naming what to set. */
export function signtoolArguments(file, env = process.env) {
  const thumbprint = env.FIELDKEY_SIGN_CERT_SHA1?.trim();
  const dlib = env.FIELDKEY_TRUSTED_SIGNING_DLIB?.trim();
  const metadata = env.FIELDKEY_TRUSTED_SIGNING_METADATA?.trim();
  if (thumbprint && (dlib || metadata)) {
    throw signError(
      'sign_ambiguous',
      'Set either FIELDKEY_SIGN_CERT_SHA1 (hardware token) or FIELDKEY_TRUSTED_SIGNING_DLIB and FIELDKEY_TRUSTED_SIGNING_METADATA (Azure Trusted Signing), not both',
    );
  }
  const common = ['sign', '/fd', 'sha256', '/td', 'sha256'];
  if (thumbprint) {
    if (!/^[0-9a-f]{40}$/i.test(thumbprint))
      throw signError('sign_not_configured', "FIELDKEY_SIGN_CERT_SHA1 must be the certificate's SHA-1 thumbprint: 40 hexadecimal digits");
    return [...common, '/tr', env.FIELDKEY_SIGN_TIMESTAMP_URL || TOKEN_TIMESTAMP_URL, '/sha1', thumbprint.toUpperCase(), file];
  }
  if (dlib && metadata) {
    return [...common, '/tr', env.FIELDKEY_SIGN_TIMESTAMP_URL || TRUSTED_SIGNING_TIMESTAMP_URL, '/dlib', dlib, '/dmdf', metadata, file];
  }
  if (dlib || metadata) {
    throw signError(
      'sign_not_configured',
      'Azure Trusted Signing needs both FIELDKEY_TRUSTED_SIGNING_DLIB and FIELDKEY_TRUSTED_SIGNING_METADATA',
    );
  }
  throw signError(
    'sign_not_configured',
    'No Windows signing key: set FIELDKEY_SIGN_CERT_SHA1 (hardware token) or FIELDKEY_TRUSTED_SIGNING_DLIB and FIELDKEY_TRUSTED_SIGNING_METADATA (Azure Trusted Signing)',
  );
}

/** The hook electron-builder calls once per file (and per hash algorithm). */
export default async function sign(configuration, env = process.env) {
  if (configuration.hash && configuration.hash !== 'sha256') {
    throw signError(
      'sign_hash_unsupported',
      `Only SHA-256 signatures are made (asked for ${configuration.hash}): keep win.signtoolOptions.signingHashAlgorithms at [sha256]`,
    );
  }
  const args = signtoolArguments(configuration.path, env);
  const signtool = env.FIELDKEY_SIGNTOOL || 'signtool.exe';
  try {
    await promisify(execFile)(signtool, args, { env, windowsHide: true });
  } catch (error) {
    const detail =
      `${error.stderr ?? ''}\n${error.stdout ?? ''}`
        .split(/\r?\n/)
        .find((line) => /error/i.test(line))
        ?.trim() ??
      error.code ??
      'unknown error';
    throw signError('sign_failed', `signtool could not sign ${configuration.path}: ${String(detail).slice(0, 300)}`);
  }
}
