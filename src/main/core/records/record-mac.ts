/**
 * Authenticating local records that a same-user attacker could edit with any SQLite tool: an
 * HMAC-SHA256 under a per-installation key kept in the OS keychain (`RECORD_MAC_KEY_ENTRY`), never
 * in the database. A record's MAC covers a label naming what it is and every field, so a value
 * cannot be moved to another row, table or meaning.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { RECORD_MAC_KEY_ENTRY, type SecretStore } from '../secrets/secret-store';

const KEY_BYTES = 32;
const LABEL = 'fieldkey/record-mac/v1';

export type MacField = string | number | null | readonly MacField[];

export class RecordMac {
  constructor(private readonly key: Buffer) {}

  /** The MAC of one record: `kind` names what it is, `fields` its values in a fixed order. */
  tag(kind: string, fields: readonly MacField[]): Buffer {
    return createHmac('sha256', this.key)
      .update(JSON.stringify([LABEL, kind, fields]))
      .digest();
  }

  /** True when `mac` (as stored; anything else is false) is the MAC of the record. */
  verify(kind: string, fields: readonly MacField[], mac: unknown): boolean {
    if (!Buffer.isBuffer(mac) && !(mac instanceof Uint8Array)) return false;
    const expected = this.tag(kind, fields);
    return mac.length === expected.length && timingSafeEqual(mac, expected);
  }
}

/**
 * The installation's record MAC key from the keychain, created on first use. `created` tells the
 * caller that no key existed: records written before it carry no MAC (see
 * TimeRecords.protect for what that means). Rejects with `keychain_unavailable` like every keychain call.
 */
export async function openRecordMac(secrets: SecretStore): Promise<{ mac: RecordMac; created: boolean }> {
  const existing = await readRecordMac(secrets);
  if (existing) return { mac: existing, created: false };
  const fresh = randomBytes(KEY_BYTES);
  await secrets.set(RECORD_MAC_KEY_ENTRY, fresh.toString('base64'));
  return { mac: new RecordMac(fresh), created: true };
}

/** The installation's record MAC key if the keychain holds a well-formed one; never creates it (doctor). */
export async function readRecordMac(secrets: SecretStore): Promise<RecordMac | undefined> {
  const stored = await secrets.get(RECORD_MAC_KEY_ENTRY);
  const key = stored === null ? undefined : Buffer.from(stored, 'base64');
  return key && key.length === KEY_BYTES && key.toString('base64') === stored ? new RecordMac(key) : undefined;
}
