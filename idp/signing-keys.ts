import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { readJsonFile, writePrivateFile } from './private-files';

/** The signing algorithms the demo IdP holds keys for (one key each at first start). */
export const SIGNING_ALGS = ['RS256', 'ES256', 'EdDSA'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

export function isSigningAlg(value: unknown): value is SigningAlg {
  return typeof value === 'string' && (SIGNING_ALGS as readonly string[]).includes(value);
}

/** A private signing key as stored in the data dir and handed to oidc-provider's `jwks`. */
export interface PrivateSigningJwk extends JWK {
  kty: string;
  kid: string;
  alg: SigningAlg;
  use: 'sig';
  d: string;
}

const PUBLIC_MEMBERS = ['kty', 'kid', 'alg', 'use', 'crv', 'x', 'y', 'n', 'e'] as const;

function generateKeyObject(alg: SigningAlg): KeyObject {
  switch (alg) {
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    case 'EdDSA':
      return generateKeyPairSync('ed25519').privateKey;
  }
}

/** A fresh private JWK for `alg`; its `kid` is the RFC 7638 thumbprint of the public key. */
export async function generateSigningKey(alg: SigningAlg): Promise<PrivateSigningJwk> {
  const jwk = generateKeyObject(alg).export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  return { ...jwk, kty: jwk.kty as string, d: jwk.d as string, kid, alg, use: 'sig' };
}

/** The public half of a signing key (what the JWKS endpoint publishes). */
export function publicJwk(key: PrivateSigningJwk): JWK {
  const out: Record<string, unknown> = {};
  for (const member of PUBLIC_MEMBERS) {
    if (key[member] !== undefined) out[member] = key[member];
  }
  return out as JWK;
}

function isPrivateSigningJwk(value: unknown): value is PrivateSigningJwk {
  if (typeof value !== 'object' || value === null) return false;
  const key = value as Record<string, unknown>;
  return (
    typeof key.kty === 'string' && typeof key.kid === 'string' && typeof key.d === 'string' && key.use === 'sig' && isSigningAlg(key.alg)
  );
}

/**
 * The IdP's signing keys, persisted as a private JWKS (0600) in the data dir. Order matters:
 * oidc-provider signs with the FIRST key whose `alg` matches, so a rotated key goes in front and the
 * older keys stay behind it, still published for verifying the tokens they signed.
 */
export class SigningKeyStore {
  private constructor(
    private readonly file: string,
    private keyList: PrivateSigningJwk[],
  ) {}

  /** Load `<dataDir>/jwks.private.json`, generating a key for every algorithm that has none. */
  static async open(dataDir: string): Promise<SigningKeyStore> {
    const file = join(dataDir, 'jwks.private.json');
    let keys: PrivateSigningJwk[] = [];
    if (existsSync(file)) {
      chmodSync(file, 0o600);
      const parsed = readJsonFile(file) as { keys?: unknown };
      if (!Array.isArray(parsed.keys) || !parsed.keys.every(isPrivateSigningJwk)) {
        throw new Error(`${file} is not a private signing JWKS; delete it to generate new keys`);
      }
      keys = parsed.keys;
    }
    const store = new SigningKeyStore(file, keys);
    let changed = !existsSync(file);
    for (const alg of SIGNING_ALGS) {
      if (!keys.some((key) => key.alg === alg)) {
        store.keyList.push(await generateSigningKey(alg));
        changed = true;
      }
    }
    if (changed) store.save();
    return store;
  }

  /** Every private key, in signing priority order (a copy: callers cannot reorder the store). */
  get privateKeys(): PrivateSigningJwk[] {
    return this.keyList.map((key) => ({ ...key }));
  }

  get publicKeys(): JWK[] {
    return this.keyList.map(publicJwk);
  }

  /** The kid oidc-provider signs `alg` tokens with: the first key of that algorithm. */
  currentKid(alg: SigningAlg): string {
    const key = this.keyList.find((candidate) => candidate.alg === alg);
    if (!key) throw new Error(`no ${alg} signing key`);
    return key.kid;
  }

  /** Generate a new `alg` key and put it first; older keys stay published. Returns the new kid. */
  async rotate(alg: SigningAlg): Promise<string> {
    const key = await generateSigningKey(alg);
    this.keyList = [key, ...this.keyList];
    this.save();
    return key.kid;
  }

  private save(): void {
    writePrivateFile(this.file, `${JSON.stringify({ keys: this.keyList }, null, 2)}\n`);
  }
}
