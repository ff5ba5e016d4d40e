/**
 * The repository documents itself: no file of the product, its docs or its tests cites the team's
 * design notes outside the repository, their folder, or issue numbers. (Imports of src/shared are
 * fine: only the workspace's shared folder is meant.)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOTS = ['src', 'docs', 'test', 'bench', 'scripts', 'idp', 'field-api', 'deploy', 'README.md'];
const TEXT = /\.(ts|tsx|js|mjs|cjs|json|md|css|html|yml|yaml|xml|admx|adml|mobileconfig|sh)$/;
const FORBIDDEN: [string, RegExp][] = [
  ['design notes', /\b(DESIGN|STYLE)\.md\b/],
  ['the workspace folder', /\.\.\/shared\/(DESIGN|STYLE|seeds|tools)\b|\]\(\.\.\/shared\//],
  ['an issue number', /\b[Ii]ssues? #?\d+\b|\btask #?\d+\b/],
];
const SELF = join('test', 'build', 'self-contained.test.ts');

function files(path: string): string[] {
  if (statSync(path).isFile()) return TEXT.test(path) ? [path] : [];
  return readdirSync(path).flatMap((name) => (name === 'node_modules' || name === 'screenshots' ? [] : files(join(path, name))));
}

describe('the repository documents itself', () => {
  const all = ROOTS.flatMap(files).filter((file) => file !== SELF);

  it('scans the product, its docs and tests', () => {
    expect(all.length).toBeGreaterThan(200);
  });

  it.each(FORBIDDEN)('no file cites %s', (_what, pattern) => {
    const hits = all.filter((file) => pattern.test(readFileSync(file, 'utf8')));
    expect(hits).toEqual([]);
  });
});
