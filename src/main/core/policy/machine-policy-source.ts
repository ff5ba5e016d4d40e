/**
 * What fleet tools push (Group Policy / Intune into the registry, an MDM profile into managed
 * preferences), behind one interface. A source returns the settings it holds as a policy document
 * in the JSON shape (possibly partial), unvalidated: the loader combines it with the machine-wide
 * file and validates the result with the same schema.
 */

/** A policy document before validation: keys as in the JSON policy, values of any type. */
export type UnvalidatedPolicyDocument = Record<string, unknown>;

export interface MachinePolicySource {
  /** `registry` (Windows) or `managed-plist` (macOS). */
  readonly kind: 'registry' | 'managed-plist';
  /** Human-readable name for messages ("Windows registry"). */
  readonly name: string;
  /** Where it reads, for messages (`HKLM\SOFTWARE\Policies\FieldKey`, a plist path). */
  readonly location: string;
  /**
   * The pushed settings, or null when the fleet tool set none. Throws `policy_unreadable` when the
   * store exists but cannot be read, and PolicyInvalidError when it holds values FieldKey cannot map
   * (unknown names, wrong registry types).
   */
  read(): Promise<UnvalidatedPolicyDocument | null>;
}
