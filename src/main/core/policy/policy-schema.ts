/**
 * The JSON Schema check of a policy document (`policy.schema.json`, draft-07, which IT editors can
 * use through `$schema`), turned into problems that name the field and the reason in plain words.
 * The schema's `errorMessage` strings (an annotation VS Code also shows) become the reasons where
 * a bare keyword would say too little.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import schema from './policy.schema.json';
import { SUPPORTED_ALGORITHMS } from './policy-types';
import { formatJsonPath, type JsonPath } from './json-text';
import { quoteValue, type PolicyProblem } from './policy-errors';
import { urlProblem } from './policy-rules';

export const POLICY_SCHEMA: Readonly<Record<string, unknown>> = schema;

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictRequired: false });
    ajv.addKeyword({ keyword: 'errorMessage', schemaType: 'string' });
    compiled = ajv.compile(schema);
  }
  return compiled;
}

/** Everything the schema finds wrong with `document`, at most one problem per field. */
export function schemaProblems(document: unknown): PolicyProblem[] {
  const validate = validator();
  if (validate(document)) return [];
  const problems: PolicyProblem[] = [];
  const seen = new Set<string>();
  for (const error of validate.errors ?? []) {
    const problem = describe(error, document);
    if (!problem || seen.has(problem.field)) continue;
    seen.add(problem.field);
    problems.push(problem);
  }
  return problems;
}

function describe(error: ErrorObject, document: unknown): PolicyProblem | null {
  // `if` only reports that a then/else branch failed; the branch's own errors say what.
  if (error.keyword === 'if') return null;
  const path = instancePath(error.instancePath, document);
  const field = (extra: string): string => formatJsonPath([...path, extra]);
  const here = formatJsonPath(path);
  const params = error.params as Record<string, unknown>;
  const custom = (error.parentSchema as { errorMessage?: unknown } | undefined)?.errorMessage;
  const got = gotSuffix(error.data);

  if (path[0] === 'allowedAlgorithms' && path.length === 2 && (error.keyword === 'enum' || error.keyword === 'type')) {
    return { field: here, reason: algorithmReason(error.data) };
  }
  switch (error.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      return { field: field(missing), reason: requiredReason([...path, missing]) };
    }
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const guess = closest(key, known);
      const where = path.length === 0 ? 'FieldKey has no setting of that name' : `${here} has no setting of that name`;
      return { field: field(key), reason: `unknown key: ${where}${guess ? ` (did you mean "${guess}"?)` : ''}` };
    }
    case 'uniqueItems':
      return { field: here, reason: `lists ${quoteValue((error.data as unknown[])[Number(params.j)])} more than once` };
    case 'minItems':
      return { field: here, reason: 'must not be empty' };
    case 'pattern':
      if (error.schemaPath.startsWith('#/definitions/secureUrl/') && typeof error.data === 'string') {
        const reason = urlProblem(error.data);
        if (reason) return { field: here, reason };
      }
      break;
    case 'type':
      if (typeof custom !== 'string')
        return {
          field: here,
          reason: path.length === 0 ? 'the policy must be a JSON object ({ ... })' : `must be ${typeName(String(params.type))}${got}`,
        };
      break;
  }
  if (typeof custom === 'string') return { field: here, reason: custom + got };
  switch (error.keyword) {
    case 'minimum':
      return { field: here, reason: `must be at least ${String(params.limit)}${got}` };
    case 'maximum':
      return { field: here, reason: `must be at most ${String(params.limit)}${got}` };
    case 'enum':
      return {
        field: here,
        reason: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}${got}`,
      };
    case 'minLength':
      return { field: here, reason: 'must not be empty' };
    default:
      return { field: here, reason: (error.message ?? 'is not valid') + got };
  }
}

/** Why an entry of allowedAlgorithms is refused, in the words IT needs. */
export function algorithmReason(value: unknown): string {
  const allowed = SUPPORTED_ALGORITHMS.join(', ');
  if (typeof value === 'string' && /^HS(256|384|512)$/i.test(value)) {
    return `${value} is HMAC, a shared secret: it cannot be verified offline without shipping the secret to every laptop, and IdPs (FusionAuth among them) never publish HMAC keys in their JWKS. Sign with RS256, ES256 or EdDSA instead (allowed: ${allowed})`;
  }
  if (typeof value === 'string' && value.toLowerCase() === 'none') {
    return `"none" means unsigned tokens, which anyone can forge; it is never allowed (allowed: ${allowed})`;
  }
  if (typeof value !== 'string') return `must be an algorithm name${gotSuffix(value)} (allowed: ${allowed})`;
  return `unknown algorithm ${quoteValue(value)} (allowed: ${allowed}; names are case-sensitive)`;
}

function requiredReason(path: JsonPath): string {
  const field = formatJsonPath(path);
  switch (field) {
    case 'issuer':
      return 'is required: the exact `iss` of your IdP\'s tokens (FusionAuth: the tenant\'s issuer, e.g. "acme.com")';
    case 'clientId':
      return 'is required: the OAuth client id (FusionAuth: the application id)';
    case 'redirect.port':
      return 'is required when redirect.mode is "fixed-port"';
    case 'redirect.uri':
      return 'is required when redirect.mode is "custom-scheme" (e.g. "com.acme.fieldkey:/callback")';
    case 'redirect.mode':
      return 'is required: "loopback", "fixed-port" or "custom-scheme"';
  }
  if (path[0] === 'endpoints') return 'is required when endpoints is given (authorization, token and jwks)';
  return 'is required';
}

function typeName(type: string): string {
  switch (type) {
    case 'integer':
      return 'a whole number';
    case 'number':
      return 'a number';
    case 'string':
      return 'a string';
    case 'array':
      return 'a list ([ ... ])';
    case 'object':
      return 'an object ({ ... })';
    default:
      return type;
  }
}

function gotSuffix(value: unknown): string {
  return value === undefined || (typeof value === 'object' && value !== null && !(value instanceof Date))
    ? ''
    : ` (got ${quoteValue(value)})`;
}

/** JSON pointer (`/pin/minLength`) to path segments, with array indexes as numbers. */
function instancePath(pointer: string, document: unknown): (string | number)[] {
  if (pointer === '') return [];
  const path: (string | number)[] = [];
  let node: unknown = document;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      path.push(Number(segment));
      node = node[Number(segment)];
    } else {
      path.push(segment);
      node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[segment] : undefined;
    }
  }
  return path;
}

/** The known key closest to a misspelt one, when it is close enough to be a likely typo. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    if (candidate.startsWith('$')) continue;
    const a = key.toLowerCase();
    const b = candidate.toLowerCase();
    const d = a === b ? 0 : a.length >= 3 && (b.startsWith(a) || a.startsWith(b)) ? 1 : editDistance(a, b);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 4)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(current[j - 1]! + 1, previous[j]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
