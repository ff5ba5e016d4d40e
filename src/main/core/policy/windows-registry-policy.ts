/**
 * Windows machine policy from Group Policy / Intune (ADMX ingestion): values under
 * `HKLM\SOFTWARE\Policies\FieldKey`, read by running `reg.exe query ... /s` and parsing its output.
 * The value names are the ones `deploy/windows/FieldKey.admx` writes (a test keeps them in step).
 *
 * Mapping (names are case-insensitive, as in the registry):
 * - strings: REG_SZ; numbers: REG_DWORD (REG_QWORD accepted);
 * - lists: REG_MULTI_SZ, or one REG_SZ with items separated by commas or spaces;
 * - subkeys `Pin`, `Argon2`, `Redirect`, `Endpoints` hold the nested objects' settings.
 * An empty REG_SZ or REG_MULTI_SZ counts as not set (Group Policy may write optional text boxes
 * left blank). Values whose name is in parentheses (reg.exe's localized "(Default)") are ignored;
 * any other name FieldKey does not know is an error, like an unknown key in the JSON file.
 * A value left out means the field's default; `ReadOnlyHours` left out is the schema's null (read-only
 * until the check-in falls due), since the registry has no null.
 *
 * `Redirect` is one ADMX policy (a mode drop-down with a port box and a URI box), which writes every
 * box whatever the mode: `Port` is read only with `Mode` fixed-port and `Uri` only with custom-scheme,
 * so the box the chosen mode does not use can never make the policy invalid.
 */
import { win32 } from 'node:path';
import { PolicyInvalidError, policyUnreadable, type PolicyProblem } from './policy-errors';
import { formatJsonPath } from './json-text';
import type { MachinePolicySource, UnvalidatedPolicyDocument } from './machine-policy-source';
import { runCommand as defaultRunCommand, type RunCommand } from './run-command';
import type { Env } from '../environment';

export const REGISTRY_KEY = 'HKLM\\SOFTWARE\\Policies\\FieldKey';
const REGISTRY_KEY_LONG = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\FieldKey';

export type RegistryValueKind = 'string' | 'number' | 'list';

export interface RegistryValueMapping {
  /** Subkey below REGISTRY_KEY ('' for the key itself). */
  key: '' | 'Pin' | 'Argon2' | 'Redirect' | 'Endpoints';
  /** Registry value name. */
  name: string;
  /** Policy field it sets: top-level key, or object key and member. */
  field: readonly [string] | readonly [string, string];
  kind: RegistryValueKind;
}

const top = (name: string, field: string, kind: RegistryValueKind): RegistryValueMapping => ({ key: '', name, field: [field], kind });
const sub = (
  key: RegistryValueMapping['key'],
  name: string,
  field: readonly [string, string],
  kind: RegistryValueKind,
): RegistryValueMapping => ({ key, name, field, kind });

/** Every registry value FieldKey reads, and the policy field it sets. */
export const REGISTRY_VALUES: readonly RegistryValueMapping[] = Object.freeze([
  top('Issuer', 'issuer', 'string'),
  top('ClientId', 'clientId', 'string'),
  top('Audience', 'audience', 'string'),
  top('DiscoveryUrl', 'discoveryUrl', 'string'),
  top('Idp', 'idp', 'string'),
  top('ExtraScopes', 'extraScopes', 'list'),
  top('OfflineToken', 'offlineToken', 'string'),
  top('AllowedAlgorithms', 'allowedAlgorithms', 'list'),
  top('RequiredClaims', 'requiredClaims', 'list'),
  top('GracePeriodHours', 'gracePeriodHours', 'number'),
  top('ReadOnlyHours', 'readOnlyHours', 'number'),
  top('CheckInIntervalDays', 'checkInIntervalDays', 'number'),
  top('JwksRefreshDays', 'jwksRefreshDays', 'number'),
  top('RefreshRetryWindowSeconds', 'refreshRetryWindowSeconds', 'number'),
  top('ClockSkewSeconds', 'clockSkewSeconds', 'number'),
  top('IdleLockMinutes', 'idleLockMinutes', 'number'),
  top('MaxAccounts', 'maxAccounts', 'number'),
  top('AuditRetentionDays', 'auditRetentionDays', 'number'),
  top('AuditRetentionRows', 'auditRetentionRows', 'number'),
  { key: '', name: 'ApiBaseUrl', field: ['api', 'baseUrl'], kind: 'string' },
  sub('Pin', 'MinLength', ['pin', 'minLength'], 'number'),
  sub('Pin', 'MaxAttempts', ['pin', 'maxAttempts'], 'number'),
  sub('Argon2', 'MemoryKiB', ['argon2', 'memoryKiB'], 'number'),
  sub('Argon2', 'Iterations', ['argon2', 'iterations'], 'number'),
  sub('Argon2', 'Parallelism', ['argon2', 'parallelism'], 'number'),
  sub('Argon2', 'TargetUnlockMs', ['argon2', 'targetUnlockMs'], 'number'),
  sub('Redirect', 'Mode', ['redirect', 'mode'], 'string'),
  sub('Redirect', 'Port', ['redirect', 'port'], 'number'),
  sub('Redirect', 'Uri', ['redirect', 'uri'], 'string'),
  sub('Endpoints', 'Authorization', ['endpoints', 'authorization'], 'string'),
  sub('Endpoints', 'Token', ['endpoints', 'token'], 'string'),
  sub('Endpoints', 'Jwks', ['endpoints', 'jwks'], 'string'),
  sub('Endpoints', 'Revocation', ['endpoints', 'revocation'], 'string'),
  sub('Endpoints', 'EndSession', ['endpoints', 'endSession'], 'string'),
]);

/** One value as reg.exe printed it. `key` is relative to REGISTRY_KEY ('' for the key itself). */
export interface RegistryValue {
  key: string;
  name: string;
  type: string;
  /** Numbers for REG_DWORD/REG_QWORD, items for REG_MULTI_SZ, the text as printed otherwise. */
  data: string | number | string[];
}

/**
 * Parses the output of `reg query <REGISTRY_KEY> /s`: key header lines, then one line per value,
 * `    <name>    <REG_TYPE>    <data>` (four-space separators).
 */
export function parseRegQueryOutput(output: string): RegistryValue[] {
  const values: RegistryValue[] = [];
  let key: string | null = null;
  for (const line of output.split(/\r?\n/)) {
    if (/^HKEY_|^HK(LM|CU|CR|U|CC)\\/i.test(line)) {
      key = relativeKey(line.trimEnd());
      continue;
    }
    const match = /^ {4}(.+?) {4}(REG_[A-Z0-9_]+)(?: {4}(.*))?$/.exec(line);
    if (!match || key === null) continue;
    const name = match[1] as string;
    if (/^\(.*\)$/.test(name)) continue; // "(Default)" and its translations
    const type = match[2] as string;
    const raw = match[3] ?? '';
    values.push({ key, name, type, data: convertData(type, raw) });
  }
  return values;
}

function relativeKey(header: string): string {
  const full = header.replace(/^HKLM\\/i, 'HKEY_LOCAL_MACHINE\\');
  if (full.toLowerCase() === REGISTRY_KEY_LONG.toLowerCase()) return '';
  if (full.toLowerCase().startsWith(REGISTRY_KEY_LONG.toLowerCase() + '\\')) return full.slice(REGISTRY_KEY_LONG.length + 1);
  return full;
}

function convertData(type: string, raw: string): string | number | string[] {
  switch (type) {
    case 'REG_DWORD':
    case 'REG_QWORD':
      return /^0x[0-9a-f]+$/i.test(raw) ? parseInt(raw.slice(2), 16) : raw;
    case 'REG_MULTI_SZ':
      return raw === '' ? [] : raw.split('\\0').filter((item) => item !== '');
    default:
      return raw;
  }
}

/** Registry value path for messages: `Pin\MinLength`, `Issuer`. */
function valuePath(key: string, name: string): string {
  return key === '' ? name : `${key}\\${name}`;
}

/**
 * Turns registry values into a policy document (JSON shape). Unknown names and wrong value types
 * are problems; the document's contents are validated later with the schema.
 */
export function registryToDocument(values: readonly RegistryValue[]): {
  document: UnvalidatedPolicyDocument | null;
  problems: PolicyProblem[];
} {
  const document: Record<string, unknown> = {};
  const problems: PolicyProblem[] = [];
  for (const value of values) {
    const mapping = REGISTRY_VALUES.find(
      (m) => m.key.toLowerCase() === value.key.toLowerCase() && m.name.toLowerCase() === value.name.toLowerCase(),
    );
    const where = valuePath(value.key, value.name);
    if (!mapping) {
      const knownKey = value.key === '' || REGISTRY_VALUES.some((m) => m.key.toLowerCase() === value.key.toLowerCase());
      problems.push({
        field: where,
        reason: knownKey
          ? `unknown registry value: FieldKey has no setting of that name${suggest(value)}`
          : 'unknown registry key: FieldKey reads only Pin, Argon2, Redirect and Endpoints below its key',
      });
      continue;
    }
    const converted = convert(mapping, value);
    const field = formatJsonPath(mapping.field);
    if ('problem' in converted) {
      problems.push({ field, reason: `${converted.problem} (registry value ${where})` });
      continue;
    }
    if (converted.value === '' || (Array.isArray(converted.value) && converted.value.length === 0)) continue;
    const [first, second] = mapping.field;
    if (second === undefined) document[first] = converted.value;
    else document[first] = { ...(document[first] as object | undefined), [second]: converted.value };
  }
  if (document.redirect !== undefined) document.redirect = redirectForMode(document.redirect as Record<string, unknown>);
  return { document: Object.keys(document).length > 0 || problems.length > 0 ? document : null, problems };
}

/** The members of a given redirect mode use; without a mode, all of them (the schema then says mode is required). */
const REDIRECT_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  loopback: ['mode'],
  'fixed-port': ['mode', 'port'],
  'custom-scheme': ['mode', 'uri'],
};

function redirectForMode(redirect: Record<string, unknown>): Record<string, unknown> {
  const members = typeof redirect.mode === 'string' ? REDIRECT_MEMBERS[redirect.mode] : undefined;
  if (!members) return redirect;
  return Object.fromEntries(Object.entries(redirect).filter(([member]) => members.includes(member)));
}

function convert(mapping: RegistryValueMapping, value: RegistryValue): { value: unknown } | { problem: string } {
  switch (mapping.kind) {
    case 'number':
      if ((value.type === 'REG_DWORD' || value.type === 'REG_QWORD') && typeof value.data === 'number') return { value: value.data };
      return { problem: `must be a REG_DWORD (got ${value.type})` };
    case 'string':
      if (value.type === 'REG_SZ' && typeof value.data === 'string') return { value: value.data };
      return { problem: `must be a REG_SZ (got ${value.type})` };
    case 'list':
      if (value.type === 'REG_MULTI_SZ' && Array.isArray(value.data)) return { value: value.data };
      if (value.type === 'REG_SZ' && typeof value.data === 'string')
        return { value: value.data.split(/[\s,]+/).filter((item) => item !== '') };
      return { problem: `must be a REG_MULTI_SZ, or a REG_SZ of comma-separated items (got ${value.type})` };
  }
}

function suggest(value: RegistryValue): string {
  const candidates = REGISTRY_VALUES.filter((m) => m.key.toLowerCase() === value.key.toLowerCase());
  const lower = value.name.toLowerCase();
  const match = candidates.find(
    (m) => m.name.toLowerCase().startsWith(lower.slice(0, 5)) || lower.startsWith(m.name.toLowerCase().slice(0, 5)),
  );
  return match ? ` (did you mean ${valuePath(match.key, match.name)}?)` : '';
}

export interface WindowsRegistryPolicyOptions {
  env?: Env;
  runCommand?: RunCommand;
}

/** reg.exe by absolute path, so nothing on PATH or in the working directory can stand in for it. */
export function regExePath(env: Env = process.env): string {
  const root = env.SystemRoot ?? env.SYSTEMROOT ?? env.windir ?? 'C:\\Windows';
  return win32.join(root, 'System32', 'reg.exe');
}

/** Reads HKLM\SOFTWARE\Policies\FieldKey with `reg query /s` (64-bit view). */
export function windowsRegistryPolicySource(options: WindowsRegistryPolicyOptions = {}): MachinePolicySource {
  const run = options.runCommand ?? defaultRunCommand;
  const env = options.env ?? process.env;
  return {
    kind: 'registry',
    name: 'Windows registry (Group Policy / Intune)',
    location: REGISTRY_KEY,
    async read() {
      let result;
      try {
        result = await run(regExePath(env), ['query', REGISTRY_KEY, '/s', '/reg:64']);
      } catch (error) {
        throw policyUnreadable(REGISTRY_KEY, `reg.exe could not run (${(error as { code?: unknown }).code ?? 'unknown error'})`, error);
      }
      if (result.exitCode !== 0) {
        // reg.exe exits 1 with nothing on stdout when the key does not exist (its message is localized).
        if (result.exitCode === 1 && result.stdout.trim() === '') return null;
        const firstLine = result.stderr.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
        throw policyUnreadable(
          REGISTRY_KEY,
          `reg.exe exited with status ${result.exitCode}${firstLine ? `: ${firstLine.trim().slice(0, 200)}` : ''}`,
        );
      }
      const { document, problems } = registryToDocument(parseRegQueryOutput(result.stdout));
      if (problems.length > 0) throw new PolicyInvalidError(REGISTRY_KEY, problems);
      return document;
    },
  };
}
