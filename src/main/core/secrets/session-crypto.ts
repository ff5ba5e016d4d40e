/**
 * The sealed-session construction (format 1). Pure crypto over node:crypto and Argon2id; no
 * database, no keychain.
 *
 * Inputs: the PIN, the account's device key D (32 random bytes from the OS keychain), the account
 * id, Argon2id parameters and a 16-byte Argon2 salt S (fresh whenever a PIN is set or re-entered to
 * re-seal), and per seal a fresh 16-byte seal salt and a fresh 12-byte GCM nonce.
 *
 *   header   = length-prefixed("fieldkey-sealed-session", format, sealed-for account id,
 *              "argon2id", m, t, p, S, device key id)
 *   P        = Argon2id(NFC(PIN), S, m, t, p) (32 bytes)
 *   root     = HKDF-SHA256(IKM = P || D, salt = S, info = "fieldkey/sealed-session/v1/root" 0 account id)
 *   verifier = HKDF-SHA256(IKM = root, salt = "", info = ".../pin-verifier" 0 header)          (32 bytes, stored)
 *   K_enc    = HKDF-SHA256(IKM = root, salt = seal salt, info = ".../aes-256-gcm" 0 header)    (32 bytes)
 *   ct||tag  = AES-256-GCM(K_enc, nonce, JSON(tokens), AAD = header)
 *   K_mac    = HKDF-SHA256(IKM = D, salt = "", info = ".../row-mac" 0 account id)
 *   row mac  = HMAC-SHA256(K_mac, length-prefixed(header, seal salt, nonce, verifier, ct||tag, sealed at))
 *   key id   = HKDF-SHA256(IKM = D, salt = "", info = ".../device-key-id", 16 bytes)          (stored)
 *
 * Why each part:
 * - Disk alone cannot test a PIN guess: the verifier, the ciphertext and the row MAC all need D.
 *   The keychain alone cannot read the tokens: they need P, i.e. the PIN through Argon2id.
 * - With both, a PIN guess costs one full Argon2id run whether it is tested against the verifier
 *   or the GCM tag; the verifier makes no guess cheaper. It exists so that a wrong PIN
 *   (`wrong_pin`, verifier mismatch) and a modified ciphertext (`session_tampered`, GCM failure
 *   after the verifier matched) are told apart.
 * - The row MAC needs only D, so any modified byte of a stored row (including the verifier, the
 *   parameters or the salts) is detected as `session_tampered` before a PIN is tried or counted.
 * - The account id and the format are in the header, hence in the GCM AAD, the verifier, the root
 *   derivation and the MAC. The row also records `sealed_for` in clear so that a row copied to
 *   another account is reported as such (`session_account_mismatch`) before any crypto.
 * - While unlocked, the vault keeps `root` and `K_mac` (not the PIN, not P, not D) in memory; a
 *   re-seal without the PIN reuses S and the parameters, and derives a fresh K_enc from a fresh seal
 *   salt with a fresh nonce, so no GCM key ever encrypts twice. Entering the PIN again (unlock with
 *   new policy parameters, change PIN, a new session) draws a fresh S.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { FieldKeyError } from '../../../shared/errors';
import { argon2id, ARGON2_SALT_BYTES, type Argon2Params } from './argon2-params';
import { normalizePin } from './pin-policy';
import { isSessionTokens, type SessionTokens } from './session-tokens';

export const SESSION_FORMAT = 1;
export const DEVICE_KEY_BYTES = 32;
const SEAL_SALT_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const LABEL = 'fieldkey/sealed-session/v1/';

/** One sealed session as stored (the row of `sealed_sessions`, minus the account it is stored under). */
export interface SealedEnvelope {
  /** The account id it was sealed for, in clear. */
  sealedFor: string;
  format: number;
  kdf: Argon2Params;
  kdfSalt: Buffer;
  deviceKeyId: Buffer;
  sealSalt: Buffer;
  nonce: Buffer;
  verifier: Buffer;
  /** GCM ciphertext followed by the 16-byte tag. */
  ciphertext: Buffer;
  /** ms since the epoch */
  sealedAt: number;
  rowMac: Buffer;
}

export function generateDeviceKey(): Buffer {
  return randomBytes(DEVICE_KEY_BYTES);
}

export function encodeDeviceKey(key: Buffer): string {
  return key.toString('base64');
}

/** The device key from its keychain text, or undefined when it is not a 256-bit base64 value. */
export function decodeDeviceKey(text: string): Buffer | undefined {
  const key = Buffer.from(text, 'base64');
  return key.length === DEVICE_KEY_BYTES && key.toString('base64') === text ? key : undefined;
}

export function deviceKeyId(deviceKey: Buffer): Buffer {
  return hkdf(deviceKey, Buffer.alloc(0), LABEL + 'device-key-id', 16);
}

/**
 * The key material of an unlocked session: enough to check the PIN verifier, open, and re-seal
 * without the PIN. Lives in main-process memory only; `destroy()` zeroes it.
 */
export class SessionKeys {
  private destroyed = false;

  constructor(
    readonly accountId: string,
    readonly kdf: Argon2Params,
    readonly kdfSalt: Buffer,
    readonly deviceKeyId: Buffer,
    private readonly root: Buffer,
    private readonly macKey: Buffer,
  ) {}

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  destroy(): void {
    this.root.fill(0);
    this.macKey.fill(0);
    this.destroyed = true;
  }

  /** @internal for session-crypto only */
  material(): { root: Buffer; macKey: Buffer } {
    if (this.destroyed) throw new FieldKeyError('session_locked', 'The session is locked; unlock it with the PIN first.');
    return { root: this.root, macKey: this.macKey };
  }
}

/** Runs Argon2id over the PIN and combines it with the device key. The slow step of an unlock. */
export async function deriveSessionKeys(
  pin: string,
  deviceKey: Buffer,
  accountId: string,
  kdf: Argon2Params,
  kdfSalt: Buffer,
): Promise<SessionKeys> {
  const password = Buffer.from(normalizePin(pin), 'utf8');
  let pinKey: Buffer | undefined;
  let ikm: Buffer | undefined;
  try {
    pinKey = await argon2id(password, kdfSalt, kdf);
    ikm = Buffer.concat([pinKey, deviceKey]);
    const root = hkdf(ikm, kdfSalt, `${LABEL}root\0${accountId}`, 32);
    return new SessionKeys(accountId, { ...kdf }, Buffer.from(kdfSalt), deviceKeyId(deviceKey), root, rowMacKey(deviceKey, accountId));
  } finally {
    password.fill(0);
    pinKey?.fill(0);
    ikm?.fill(0);
  }
}

export function newKdfSalt(): Buffer {
  return randomBytes(ARGON2_SALT_BYTES);
}

/** True when the row's MAC verifies under this device key (no PIN needed). */
export function rowMacValid(envelope: SealedEnvelope, deviceKey: Buffer, accountId: string): boolean {
  const key = rowMacKey(deviceKey, accountId);
  try {
    return safeEqual(envelope.rowMac, rowMac(key, envelope));
  } finally {
    key.fill(0);
  }
}

/** True when the keys were derived from the PIN this envelope was sealed with. */
export function pinMatches(keys: SessionKeys, envelope: SealedEnvelope): boolean {
  const expected = verifier(keys.material().root, header(envelope));
  return safeEqual(envelope.verifier, expected);
}

/** Seals the tokens under the keys with a fresh seal salt and nonce. */
export function sealTokens(keys: SessionKeys, tokens: SessionTokens, sealedAt: number): SealedEnvelope {
  if (!isSessionTokens(tokens)) throw new FieldKeyError('invalid_tokens', 'The session to seal must be an object.');
  const { root, macKey } = keys.material();
  const partial = {
    sealedFor: keys.accountId,
    format: SESSION_FORMAT,
    kdf: { ...keys.kdf },
    kdfSalt: Buffer.from(keys.kdfSalt),
    deviceKeyId: Buffer.from(keys.deviceKeyId),
  };
  const aad = header(partial);
  const sealSalt = randomBytes(SEAL_SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const encKey = hkdf(root, sealSalt, `${LABEL}aes-256-gcm\0`, 32, aad);
  const plaintext = Buffer.from(JSON.stringify(tokens), 'utf8');
  try {
    const cipher = createCipheriv('aes-256-gcm', encKey, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad);
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    const envelope: SealedEnvelope = {
      ...partial,
      sealSalt,
      nonce,
      verifier: verifier(root, aad),
      ciphertext,
      sealedAt,
      rowMac: Buffer.alloc(0),
    };
    envelope.rowMac = rowMac(macKey, envelope);
    return envelope;
  } finally {
    encKey.fill(0);
    plaintext.fill(0);
  }
}

/** Opens the envelope; `session_tampered` when the ciphertext does not authenticate. */
export function openTokens(keys: SessionKeys, envelope: SealedEnvelope): SessionTokens {
  const { root } = keys.material();
  const aad = header(envelope);
  const encKey = hkdf(root, envelope.sealSalt, `${LABEL}aes-256-gcm\0`, 32, aad);
  let plaintext: Buffer | undefined;
  try {
    const body = envelope.ciphertext;
    if (body.length < TAG_BYTES || envelope.nonce.length !== NONCE_BYTES) throw tampered();
    const decipher = createDecipheriv('aes-256-gcm', encKey, envelope.nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    try {
      plaintext = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw tampered();
    }
    const tokens: unknown = JSON.parse(plaintext.toString('utf8'));
    if (!isSessionTokens(tokens)) throw tampered();
    return tokens;
  } finally {
    encKey.fill(0);
    plaintext?.fill(0);
  }
}

export function tampered(): FieldKeyError {
  return new FieldKeyError(
    'session_tampered',
    'The stored session of this account was modified and cannot be trusted. Sign in online to replace it.',
  );
}

type HeaderFields = Pick<SealedEnvelope, 'sealedFor' | 'format' | 'kdf' | 'kdfSalt' | 'deviceKeyId'>;

function header(e: HeaderFields): Buffer {
  return lengthPrefixed([
    'fieldkey-sealed-session',
    String(e.format),
    e.sealedFor,
    'argon2id',
    String(e.kdf.memoryKiB),
    String(e.kdf.iterations),
    String(e.kdf.parallelism),
    e.kdfSalt,
    e.deviceKeyId,
  ]);
}

function verifier(root: Buffer, aad: Buffer): Buffer {
  return hkdf(root, Buffer.alloc(0), `${LABEL}pin-verifier\0`, 32, aad);
}

function rowMacKey(deviceKey: Buffer, accountId: string): Buffer {
  return hkdf(deviceKey, Buffer.alloc(0), `${LABEL}row-mac\0${accountId}`, 32);
}

function rowMac(macKey: Buffer, e: SealedEnvelope): Buffer {
  const body = lengthPrefixed([header(e), e.sealSalt, e.nonce, e.verifier, e.ciphertext, String(e.sealedAt)]);
  return createHmac('sha256', macKey).update(body).digest();
}

function hkdf(ikm: Buffer, salt: Buffer, label: string, length: number, context?: Buffer): Buffer {
  const info = context ? Buffer.concat([Buffer.from(label, 'utf8'), context]) : Buffer.from(label, 'utf8');
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, length));
}

function lengthPrefixed(parts: (string | Buffer)[]): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    chunks.push(length, bytes);
  }
  return Buffer.concat(chunks);
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
