/**
 * macOS machine policy from an MDM configuration profile (PayloadType `com.fieldkey.app`), which
 * macOS writes to `/Library/Managed Preferences/com.fieldkey.app.plist` (binary or XML). Keys and
 * nesting are those of the JSON policy (`issuer`, `pin` dict with `minLength`...); integers are
 * `<integer>`, lists `<array>` of `<string>`. Keys starting with `Payload` (profile bookkeeping)
 * are ignored. A property list has no null: a key left out takes its default, which for
 * `readOnlyHours` is null (read-only until the check-in falls due).
 */
import { parse, type PlistValue } from 'plist';
import { DOCUMENT_FIELD, PolicyInvalidError } from './policy-errors';
import type { MachinePolicySource, UnvalidatedPolicyDocument } from './machine-policy-source';
import { nodePolicyFileSystem, type PolicyFileSystem } from './policy-file-system';
import { decodePolicyBytes, readPolicyBytes } from './read-policy-file';

export const MANAGED_PREFERENCES_DOMAIN = 'com.fieldkey.app';
export const MANAGED_PLIST_PATH = `/Library/Managed Preferences/${MANAGED_PREFERENCES_DOMAIN}.plist`;

/**
 * The policy settings in a managed-preferences plist (XML or binary bytes, or XML text), or null
 * when it holds none. Throws PolicyInvalidError when it is not a property list dictionary.
 */
export function parseManagedPlist(content: string | Uint8Array, source: string = MANAGED_PLIST_PATH): UnvalidatedPolicyDocument | null {
  const notPlist = new PolicyInvalidError(source, [
    { field: DOCUMENT_FIELD, reason: 'is not a valid property list (XML or binary plist)' },
  ]);
  const input = typeof content === 'string' || isBinaryPlist(content) ? content : decodePolicyBytes(content);
  // Only XML and binary plists (what macOS writes); anything else is refused before the XML parser sees it.
  if (
    input === null ||
    (typeof input === 'string' &&
      !input
        .replace(/^\uFEFF/, '')
        .trimStart()
        .startsWith('<'))
  )
    throw notPlist;
  let value: PlistValue;
  try {
    value = parse(input);
  } catch {
    throw notPlist;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date || value instanceof Uint8Array) {
    throw new PolicyInvalidError(source, [{ field: DOCUMENT_FIELD, reason: 'the property list must be a dictionary of settings' }]);
  }
  const settings: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (!key.startsWith('Payload')) settings[key] = entry;
  }
  return Object.keys(settings).length > 0 ? settings : null;
}

export interface MacosManagedPolicyOptions {
  fs?: PolicyFileSystem;
  path?: string;
}

export function macosManagedPolicySource(options: MacosManagedPolicyOptions = {}): MachinePolicySource {
  const fs = options.fs ?? nodePolicyFileSystem;
  const path = options.path ?? MANAGED_PLIST_PATH;
  return {
    kind: 'managed-plist',
    name: 'macOS managed preferences (MDM profile)',
    location: path,
    async read() {
      if (!fs.exists(path)) return null;
      return parseManagedPlist(readPolicyBytes(path, fs), path);
    },
  };
}

function isBinaryPlist(bytes: Uint8Array): boolean {
  return new TextDecoder('latin1').decode(bytes.subarray(0, 6)) === 'bplist';
}
