import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The demo IdP's accounts. Their passwords are public (idp/README.md lists them): this is a
 * development IdP, never a place for real credentials. `sub` values are fixed UUIDs, as FusionAuth's
 * user ids are, so a token's subject stays the same across restarts and machines.
 */
export interface DemoUser {
  readonly sub: string;
  readonly username: string;
  readonly password: string;
  readonly name: string;
  readonly givenName: string;
  readonly familyName: string;
  readonly email: string;
  readonly roles: readonly string[];
}

export const DEMO_USERS: readonly DemoUser[] = Object.freeze([
  {
    sub: '5b7a1f2e-3c4d-4e5f-8a9b-0c1d2e3f4a01',
    username: 'tech1',
    password: 'fieldkey-demo-1',
    name: 'Tess Technician',
    givenName: 'Tess',
    familyName: 'Technician',
    email: 'tech1@fieldkey.invalid',
    roles: ['technician'],
  },
  {
    sub: '5b7a1f2e-3c4d-4e5f-8a9b-0c1d2e3f4a02',
    username: 'tech2',
    password: 'fieldkey-demo-2',
    name: 'Sam Supervisor',
    givenName: 'Sam',
    familyName: 'Supervisor',
    email: 'tech2@fieldkey.invalid',
    roles: ['technician', 'supervisor'],
  },
  {
    sub: '5b7a1f2e-3c4d-4e5f-8a9b-0c1d2e3f4a03',
    username: 'admin',
    password: 'fieldkey-demo-admin',
    name: 'Ada Admin',
    givenName: 'Ada',
    familyName: 'Admin',
    email: 'admin@fieldkey.invalid',
    roles: ['admin'],
  },
]);

export function findUserBySub(sub: string): DemoUser | undefined {
  return DEMO_USERS.find((user) => user.sub === sub);
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** The user whose username and password both match, compared in constant time; else undefined. */
export function checkCredentials(username: string, password: string): DemoUser | undefined {
  let found: DemoUser | undefined;
  for (const user of DEMO_USERS) {
    const nameOk = timingSafeEqual(digest(user.username), digest(username));
    const passwordOk = timingSafeEqual(digest(user.password), digest(password));
    if (nameOk && passwordOk) found = user;
  }
  return found;
}

/** A role name as an admin may set it: letters, digits and `_ . : -`, at most 64 characters. */
const ROLE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
export const MAX_ROLES = 32;

/** Whether `value` is a list of distinct role names (possibly empty: a user may have no role at all). */
export function isRoleList(value: unknown): value is string[] {
  return (
    Array.isArray(value) &&
    value.length <= MAX_ROLES &&
    value.every((role) => typeof role === 'string' && ROLE_NAME.test(role)) &&
    new Set(value).size === value.length
  );
}

/**
 * Each user's roles for one run of the IdP: the defaults above until an admin changes them (the
 * change lasts until the IdP stops). Like FusionAuth's application roles, a change reaches the
 * tokens issued after it (the next sign-in or refresh); tokens already issued keep their roles
 * until they expire.
 */
export class RoleAssignments {
  private readonly bySub = new Map<string, readonly string[]>();

  rolesOf(user: DemoUser): readonly string[] {
    return this.bySub.get(user.sub) ?? user.roles;
  }

  set(user: DemoUser, roles: readonly string[]): readonly string[] {
    if (!isRoleList(roles)) throw new Error(`roles must be at most ${MAX_ROLES} distinct names of letters, digits and _ . : -`);
    const assigned = Object.freeze([...roles]);
    this.bySub.set(user.sub, assigned);
    return assigned;
  }
}

export function findUserByUsername(username: string): DemoUser | undefined {
  return DEMO_USERS.find((user) => user.username === username);
}

/** The OpenID Connect claims of a user (the `claims` configuration decides which a token gets). */
export function userClaims(user: DemoUser, roles: readonly string[] = user.roles): Record<string, unknown> {
  return {
    sub: user.sub,
    name: user.name,
    given_name: user.givenName,
    family_name: user.familyName,
    preferred_username: user.username,
    email: user.email,
    email_verified: true,
    roles: [...roles],
  };
}
