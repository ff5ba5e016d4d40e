/**
 * Every field of the policy schema as a dotted path (`issuer`, `pin.minLength`, `argon2.targetUnlockMs`),
 * in schema order, for tests that check a fleet template or manifest leaves none out. Members of
 * if/then/else branches count; members a branch forbids (`not: {}`) do not; `$schema` and `$comment`
 * are editor annotations, not settings.
 */
import { POLICY_SCHEMA } from '../../src/main/core/policy/policy-schema';

type Node = Record<string, unknown>;

function memberEntries(node: Node): [string, Node][] {
  return [node, node.then, node.else].flatMap((branch) =>
    Object.entries(((branch as Node | undefined)?.properties as Record<string, Node> | undefined) ?? {}),
  );
}

export function policyFieldPaths(schema: Node = POLICY_SCHEMA as Node): string[] {
  const paths: string[] = [];
  for (const [key, node] of memberEntries(schema)) {
    if (key.startsWith('$')) continue;
    const nested = memberEntries(node).filter(([, member]) => !('not' in member));
    const names = nested.length > 0 ? nested.map(([member]) => `${key}.${member}`) : [key];
    for (const name of names) if (!paths.includes(name)) paths.push(name);
  }
  return paths;
}

/** The dotted paths of the settings a plist-like or JSON object holds (objects are walked, lists are leaves). */
export function settingPaths(settings: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(settings).flatMap(([key, value]) =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? settingPaths(value as Record<string, unknown>, `${prefix}${key}.`)
      : [`${prefix}${key}`],
  );
}
