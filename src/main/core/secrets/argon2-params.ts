/**
 * Argon2id parameters and the one call that runs Argon2id over a PIN. The parameters are stored
 * with every sealed session (so they can be raised later); new seals take theirs from an
 * `Argon2ParamsSource` (see kdf-calibration.ts for the policy-driven one).
 */
import { hashRaw, type Algorithm, type Version } from '@node-rs/argon2';

export interface Argon2Params {
  memoryKiB: number;
  iterations: number;
  parallelism: number;
}

/** OWASP's minimum for Argon2id: m = 19 MiB, t = 2, p = 1. Policy-derived parameters never go below it. */
export const OWASP_FLOOR: Readonly<Argon2Params> = Object.freeze({ memoryKiB: 19456, iterations: 2, parallelism: 1 });

/** Length of the Argon2id output and of its salt, in bytes. */
export const ARGON2_OUTPUT_BYTES = 32;
export const ARGON2_SALT_BYTES = 16;

// The package declares these as const enums, which isolated modules cannot read; the values are
// fixed by the Argon2 specification (RFC 9106): Argon2id = 2, version 0x13 = 1 in this binding.
const ARGON2ID = 2 as Algorithm;
const VERSION_0X13 = 1 as Version;

/** Raises each parameter to at least the OWASP floor. */
export function atLeastFloor(params: Argon2Params): Argon2Params {
  return {
    memoryKiB: Math.max(Math.floor(params.memoryKiB), OWASP_FLOOR.memoryKiB),
    iterations: Math.max(Math.floor(params.iterations), OWASP_FLOOR.iterations),
    parallelism: Math.max(Math.floor(params.parallelism), OWASP_FLOOR.parallelism),
  };
}

/** True when `a` costs less memory or fewer passes than `b` (a stored session that should be re-sealed). */
export function isWeaker(a: Argon2Params, b: Argon2Params): boolean {
  return a.memoryKiB < b.memoryKiB || a.iterations < b.iterations;
}

export function sameParams(a: Argon2Params, b: Argon2Params): boolean {
  return a.memoryKiB === b.memoryKiB && a.iterations === b.iterations && a.parallelism === b.parallelism;
}

/** Argon2id(password, salt) with the given parameters: 32 raw bytes. The caller zeroes them after use. */
export function argon2id(password: Uint8Array, salt: Uint8Array, params: Argon2Params): Promise<Buffer> {
  return hashRaw(password, {
    algorithm: ARGON2ID,
    version: VERSION_0X13,
    memoryCost: params.memoryKiB,
    timeCost: params.iterations,
    parallelism: params.parallelism,
    outputLen: ARGON2_OUTPUT_BYTES,
    salt,
  });
}

/** Where a new seal gets its Argon2id parameters. */
export interface Argon2ParamsSource {
  /** The parameters for a new seal (may calibrate on first use). */
  current(): Promise<Argon2Params>;
  /** The parameters if known without measuring (fixed, or already calibrated), else undefined. */
  peek(): Argon2Params | undefined;
}
