/**
 * Reading a policy file from disk: size limit, text encodings Windows tools produce (UTF-8 with or
 * without a byte-order mark, UTF-16 from PowerShell 5's Out-File), then parsePolicy.
 */
import { nodePolicyFileSystem, type PolicyFileSystem } from './policy-file-system';
import { DOCUMENT_FIELD, PolicyInvalidError, policyUnreadable } from './policy-errors';
import { parsePolicy } from './parse-policy';
import type { Policy } from './policy-types';

/** A policy is a few hundred bytes; anything this big is the wrong file. */
export const MAX_POLICY_BYTES = 1024 * 1024;

/**
 * Reads and validates the policy at `path`. Throws `policy_unreadable` (FieldKeyError) when the
 * file cannot be read and PolicyInvalidError (`policy_invalid`) when its content is wrong.
 */
export function readPolicyFile(path: string, fs: PolicyFileSystem = nodePolicyFileSystem): Policy {
  return parsePolicy(readPolicyText(path, fs), path);
}

/** The file's text, decoded; throws `policy_unreadable` or `policy_invalid` as readPolicyFile does. */
export function readPolicyText(path: string, fs: PolicyFileSystem = nodePolicyFileSystem): string {
  const bytes = readPolicyBytes(path, fs);
  const text = decodePolicyBytes(bytes);
  if (text === null) {
    throw new PolicyInvalidError(path, [{ field: DOCUMENT_FIELD, reason: 'the file is not UTF-8 or UTF-16 text; save it as UTF-8' }]);
  }
  return text;
}

/**
 * The file's bytes, at most MAX_POLICY_BYTES of them: throws `policy_unreadable` when the file
 * cannot be read and PolicyInvalidError when it is larger than any policy.
 */
export function readPolicyBytes(path: string, fs: PolicyFileSystem = nodePolicyFileSystem): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFile(path);
  } catch (error) {
    throw policyUnreadable(path, describeFsError(error), error);
  }
  if (bytes.length > MAX_POLICY_BYTES) {
    throw new PolicyInvalidError(path, [
      {
        field: DOCUMENT_FIELD,
        reason: `the file is ${bytes.length} bytes; a policy is at most ${MAX_POLICY_BYTES} bytes (is this the right file?)`,
      },
    ]);
  }
  return bytes;
}

/** UTF-8 (BOM optional) or UTF-16 with a BOM; null when the bytes are not valid text. */
export function decodePolicyBytes(bytes: Uint8Array): string | null {
  try {
    if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le', { fatal: true }).decode(bytes.subarray(2));
    if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be', { fatal: true }).decode(bytes.subarray(2));
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return null;
  }
}

export function describeFsError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory, not a file';
    default:
      return typeof code === 'string' ? `error ${code}` : 'unknown error';
  }
}
