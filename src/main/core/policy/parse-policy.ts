/**
 * From policy text or a document to a `Policy`: strict JSON, the schema, the rules, then defaults.
 * Every problem is collected before throwing, so IT fixes a file in one pass.
 */
import { withDefaults, type PolicyDocument } from './policy-defaults';
import { DOCUMENT_FIELD, PolicyInvalidError, type PolicyProblem } from './policy-errors';
import { formatJsonPath, JsonTextError, parseJsonStrict } from './json-text';
import { schemaProblems } from './policy-schema';
import { ruleProblems } from './policy-rules';
import type { Policy } from './policy-types';

/** Keys a policy document may carry for editors and people; FieldKey ignores them. */
const ANNOTATION_KEYS = ['$schema', '$comment'];

/**
 * Parses policy JSON. `source` names where it came from in error messages (a path, "registry"...).
 * Throws PolicyInvalidError (`policy_invalid`).
 */
export function parsePolicy(text: string, source: string): Policy {
  const { document, problems } = parsePolicyJson(text, source);
  return validatePolicyDocument(document, source, problems);
}

/**
 * Strict JSON reading of a policy: the document, plus problems for duplicate keys. Throws
 * PolicyInvalidError when the text is not JSON (line and column in the reason).
 */
export function parsePolicyJson(text: string, source: string): { document: unknown; problems: PolicyProblem[] } {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let parsed;
  try {
    parsed = parseJsonStrict(body);
  } catch (error) {
    if (error instanceof JsonTextError) {
      throw new PolicyInvalidError(source, [
        { field: DOCUMENT_FIELD, reason: `invalid JSON at line ${error.line}, column ${error.column}: ${error.reason}` },
      ]);
    }
    throw error;
  }
  const problems: PolicyProblem[] = parsed.duplicateKeys.map((path) => ({
    field: formatJsonPath(path),
    reason: 'appears more than once in the same object; JSON silently keeps only the last one, so remove the others',
  }));
  return { document: parsed.value, problems };
}

/**
 * Validates a policy document already in memory (from JSON, the registry or a managed plist) and
 * applies the defaults. Throws PolicyInvalidError (`policy_invalid`) listing every problem.
 */
export function validatePolicyDocument(document: unknown, source: string, earlierProblems: readonly PolicyProblem[] = []): Policy {
  const problems = inDocumentOrder([...earlierProblems, ...policyProblems(document)], document);
  if (problems.length > 0) throw new PolicyInvalidError(source, problems);
  const clean = { ...(document as Record<string, unknown>) };
  for (const key of ANNOTATION_KEYS) delete clean[key];
  return withDefaults(clean as unknown as PolicyDocument);
}

/** Every problem with a policy document (schema, then rules); empty when it is valid. */
export function policyProblems(document: unknown): PolicyProblem[] {
  const problems = schemaProblems(document);
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return problems;
  const faulty = new Set(problems.map((p) => p.field));
  return [...problems, ...ruleProblems(document as Record<string, unknown>, faulty)];
}

/**
 * Problems in the order their top-level keys appear in the document, so IT can read them top to
 * bottom beside the file; problems with keys the document lacks (missing required ones) come first.
 */
function inDocumentOrder(problems: PolicyProblem[], document: unknown): PolicyProblem[] {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return problems;
  const keys = Object.keys(document);
  const rank = (field: string): number => {
    const top = /^[^.[]+/.exec(field)?.[0] ?? field;
    return keys.indexOf(top);
  };
  return problems
    .map((problem, index) => ({ problem, index, rank: rank(problem.field) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((entry) => entry.problem);
}
