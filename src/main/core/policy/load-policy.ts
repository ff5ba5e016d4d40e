/**
 * Where the policy comes from, and which source wins.
 *
 * 1. Fleet machine policy: the registry (`HKLM\SOFTWARE\Policies\FieldKey`, Windows) or managed
 *    preferences (`com.fieldkey.app`, macOS). When it holds any setting it is authoritative:
 *    FIELDKEY_POLICY is ignored. If the machine-wide file also exists, the two combine: each fleet
 *    setting wins over the file's; `pin` combines per member, while `argon2`, `redirect` and
 *    `endpoints` replace the file's object as a whole (their members only make sense together).
 * 2. The machine-wide file: `%ProgramData%\FieldKey\policy.json`,
 *    `/Library/Application Support/FieldKey/policy.json`, `/etc/fieldkey/policy.json`. Like a fleet
 *    policy it locks the settings: a machine IT manages is never steered by a user's environment.
 * 3. `FIELDKEY_POLICY` (a path), for development and tests (unless `honorEnvPolicy` is false). A
 *    packaged app never sees it: the Electron shell removes it from the environment it hands on.
 * 4. The built-in demo policy (the local demo IdP), unless `allowDemo` is false (a packaged app:
 *    `policy_missing`, shown as "misconfigured").
 *
 * A source that exists but is unreadable or invalid is an error (fail closed); the loader never
 * falls through to a later source. A `jwks.json` beside the policy file is the bundled JWKS (for
 * fleet sources: beside the machine-wide file).
 */
import { posix, win32 } from 'node:path';
import type { Env } from '../environment';
import { FieldKeyError } from '../../../shared/errors';
import { demoPolicy, DEMO_POLICY_DOCUMENT } from './policy-defaults';
import { DOCUMENT_FIELD, PolicyInvalidError } from './policy-errors';
import type { MachinePolicySource, UnvalidatedPolicyDocument } from './machine-policy-source';
import { nodePolicyFileSystem, type PolicyFileSystem } from './policy-file-system';
import { parsePolicyJson, validatePolicyDocument } from './parse-policy';
import { readPolicyFile, readPolicyText } from './read-policy-file';
import { windowsRegistryPolicySource } from './windows-registry-policy';
import { macosManagedPolicySource } from './macos-managed-policy';
import type { RunCommand } from './run-command';
import type { Policy } from './policy-types';

export type PolicySourceKind = 'env' | 'registry' | 'managed-plist' | 'machine-file' | 'demo';

export interface PolicySource {
  kind: PolicySourceKind;
  /** A path, the registry key, or a description of the demo policy. */
  location: string;
  /** For `registry`/`managed-plist`: the machine-wide file the fleet settings were combined with. */
  machineFile?: string;
}

export interface LoadedPolicy {
  policy: Policy;
  source: PolicySource;
  /** `jwks.json` beside the policy file, when one exists. */
  bundledJwksPath?: string;
}

export interface LoadPolicyOptions {
  env?: Env;
  platform?: NodeJS.Platform;
  fs?: PolicyFileSystem;
  /** Runs reg.exe on Windows; injectable for tests. */
  runCommand?: RunCommand;
  /** Fleet sources to consult; default: the platform's (registry on Windows, managed plist on macOS). */
  machineSources?: readonly MachinePolicySource[];
  /** Whether FIELDKEY_POLICY is honoured (default true). A packaged build may pass false. */
  honorEnvPolicy?: boolean;
  /** Whether the built-in demo policy may be used when nothing is configured (default true). */
  allowDemo?: boolean;
}

export const DEMO_LOCATION = `built-in demo policy (demo IdP at ${DEMO_POLICY_DOCUMENT.issuer})`;

function pathFor(platform: NodeJS.Platform): typeof posix {
  return platform === 'win32' ? win32 : posix;
}

/** The machine-wide policy file for `platform`. */
export function machinePolicyFile(env: Env = process.env, platform: NodeJS.Platform = process.platform): string {
  switch (platform) {
    case 'win32':
      return win32.join(env.ProgramData ?? env.PROGRAMDATA ?? env.ALLUSERSPROFILE ?? 'C:\\ProgramData', 'FieldKey', 'policy.json');
    case 'darwin':
      return '/Library/Application Support/FieldKey/policy.json';
    default:
      return '/etc/fieldkey/policy.json';
  }
}

/** The fleet sources FieldKey reads on `platform` (none on Linux: fleet tools write the machine-wide file). */
export function machinePolicySources(
  options: Pick<LoadPolicyOptions, 'env' | 'platform' | 'fs' | 'runCommand'> = {},
): MachinePolicySource[] {
  const platform = options.platform ?? process.platform;
  if (platform === 'win32')
    return [
      windowsRegistryPolicySource({ env: options.env ?? process.env, ...(options.runCommand ? { runCommand: options.runCommand } : {}) }),
    ];
  if (platform === 'darwin') return [macosManagedPolicySource({ fs: options.fs ?? nodePolicyFileSystem })];
  return [];
}

/** Finds, reads and validates the policy. Throws `policy_invalid`, `policy_unreadable` or `policy_insecure`. */
export async function loadPolicy(options: LoadPolicyOptions = {}): Promise<LoadedPolicy> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const fs = options.fs ?? nodePolicyFileSystem;
  const path = pathFor(platform);
  const machineFile = machinePolicyFile(env, platform);
  const sources =
    options.machineSources ??
    machinePolicySources({ env, platform, fs, ...(options.runCommand ? { runCommand: options.runCommand } : {}) });
  const bundledBeside = (policyPath: string): { bundledJwksPath?: string } => {
    const candidate = path.join(path.dirname(policyPath), 'jwks.json');
    return fs.exists(candidate) ? { bundledJwksPath: candidate } : {};
  };

  for (const source of sources) {
    const fleet = await source.read();
    if (fleet === null) continue;
    if (!fs.exists(machineFile)) {
      return {
        policy: validatePolicyDocument(fleet, source.location),
        source: { kind: source.kind, location: source.location },
        ...bundledBeside(machineFile),
      };
    }
    assertNotWritableByOthers(machineFile, platform, fs);
    const file = parsePolicyJson(readPolicyText(machineFile, fs), machineFile);
    if (typeof file.document !== 'object' || file.document === null || Array.isArray(file.document)) {
      throw new PolicyInvalidError(machineFile, [{ field: DOCUMENT_FIELD, reason: 'the policy must be a JSON object ({ ... })' }]);
    }
    const merged = combineMachinePolicy(file.document as UnvalidatedPolicyDocument, fleet);
    const policy = validatePolicyDocument(merged, `${source.location} combined with ${machineFile}`, file.problems);
    return { policy, source: { kind: source.kind, location: source.location, machineFile }, ...bundledBeside(machineFile) };
  }

  if (fs.exists(machineFile)) {
    assertNotWritableByOthers(machineFile, platform, fs);
    return {
      policy: readPolicyFile(machineFile, fs),
      source: { kind: 'machine-file', location: machineFile },
      ...bundledBeside(machineFile),
    };
  }

  const envPath = env.FIELDKEY_POLICY;
  if ((options.honorEnvPolicy ?? true) && envPath !== undefined && envPath !== '') {
    return { policy: readPolicyFile(envPath, fs), source: { kind: 'env', location: envPath }, ...bundledBeside(envPath) };
  }

  if (options.allowDemo === false) {
    throw new FieldKeyError(
      'policy_missing',
      `No FieldKey policy is configured. IT must deploy ${machineFile} (or a fleet policy); see docs/policy.md.`,
    );
  }
  return { policy: demoPolicy(), source: { kind: 'demo', location: DEMO_LOCATION } };
}

/**
 * Fleet settings over the machine-wide file's: each fleet key wins; `pin` combines per member;
 * `argon2`, `redirect` and `endpoints` are replaced whole.
 */
export function combineMachinePolicy(file: UnvalidatedPolicyDocument, fleet: UnvalidatedPolicyDocument): UnvalidatedPolicyDocument {
  const combined: UnvalidatedPolicyDocument = { ...file };
  for (const [key, value] of Object.entries(fleet)) {
    const base = combined[key];
    combined[key] = key === 'pin' && isPlainObject(base) && isPlainObject(value) ? { ...base, ...value } : value;
  }
  return combined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * On POSIX, a machine-wide policy that someone other than root owns, or that others can write, is
 * no machine policy: refuse it. Windows ACLs are not checked here: deployment must make
 * %ProgramData%\FieldKey writable by administrators only (docs/deploy.md shows the icacls lines).
 */
function assertNotWritableByOthers(file: string, platform: NodeJS.Platform, fs: PolicyFileSystem): void {
  if (platform === 'win32') return;
  let stat: { uid: number; mode: number };
  try {
    stat = fs.stat(file);
  } catch {
    return; // reading it will report why
  }
  const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
  if (stat.uid !== 0) {
    throw new FieldKeyError(
      'policy_insecure',
      `Policy ${file} is owned by user id ${stat.uid}, not root; a machine policy must be owned by root (chown root ${file}) and mode 0644.`,
    );
  }
  if ((stat.mode & 0o022) !== 0) {
    throw new FieldKeyError(
      'policy_insecure',
      `Policy ${file} is writable by users other than its owner (mode ${mode}); make it mode 0644 (chmod 644 ${file}).`,
    );
  }
}

/** "registry HKLM\...\FieldKey (combined with C:\ProgramData\FieldKey\policy.json)" and the like. */
export function describePolicySource(source: PolicySource): string {
  const label: Record<PolicySourceKind, string> = {
    env: 'FIELDKEY_POLICY',
    registry: 'registry',
    'managed-plist': 'managed preferences',
    'machine-file': 'machine-wide file',
    demo: 'demo',
  };
  if (source.kind === 'demo') return source.location;
  return `${label[source.kind]} ${source.location}${source.machineFile ? ` (combined with ${source.machineFile})` : ''}`;
}
