/** The version `fieldkey --version` prints: FieldKey's own, from package.json (built into the bundle). */
import { version } from '../../../package.json';

export const FIELDKEY_VERSION: string = version;

/** Whether the arguments ask for the version (`--version` or `-V`, anywhere). */
export function asksForVersion(args: readonly string[]): boolean {
  return args.includes('--version') || args.includes('-V');
}
