/**
 * What the command line and the environment may change at launch.
 *
 * A packaged FieldKey ignores FIELDKEY_POLICY: its policy comes only from what IT deployed (fleet
 * policy or the machine-wide file), never from a user's environment. Development builds keep it.
 *
 * Command-line switches and environment FieldKey refuses to start with, because they
 * open the running app to another program: Chromium's remote debugging (`--remote-debugging-port`,
 * `--remote-debugging-pipe`), V8 flags (`--js-flags`), and Node's inspector (`--inspect`,
 * `--inspect-brk`, `--inspect-port` and every other `--inspect*`, on the command line or in
 * NODE_OPTIONS). Anyone who can attach a debugger to an unlocked FieldKey reads the session's
 * tokens and the technician's notes.
 *
 * The packaged app's Electron fuses already make Node ignore `--inspect*` and NODE_OPTIONS; the
 * Chromium switches have no fuse, and the refusal covers all of them in one place either way.
 * Chromium reads a switch after `--` or `-` (and `/` on Windows), and on Windows whatever its case,
 * so those spellings are refused too (any case, on every OS). Development builds refuse them as
 * well: a build that a switch can open to debugging is not the one to test. Pure: takes argv and
 * the environment, no Electron import.
 */
import type { Env } from '../core/environment';

/** The environment the app and its command line see: without FIELDKEY_POLICY when packaged. */
export function launchEnvironment(env: Env, packaged: boolean): Env {
  if (!packaged || env.FIELDKEY_POLICY === undefined) return env;
  const rest: Record<string, string | undefined> = { ...env };
  delete rest.FIELDKEY_POLICY;
  return rest;
}

/** Switch names refused exactly (with or without `=value`). */
const REFUSED_NAMES: readonly string[] = ['remote-debugging-port', 'remote-debugging-pipe', 'js-flags'];
/** Switch name prefix refused: the whole Node inspector family. */
const REFUSED_PREFIX = 'inspect';

export interface RefusedSwitch {
  /** Where it was found: the command line or NODE_OPTIONS. */
  source: 'command line' | 'NODE_OPTIONS';
  /** The switch as `--name`, without its value (a value may be a path or a secret). */
  name: string;
}

/**
 * The first refused switch in `argv` (`process.argv`: its first entry, the executable, is skipped)
 * or in NODE_OPTIONS, or undefined when FieldKey may start.
 */
export function refusedLaunchSwitch(
  argv: readonly string[],
  env: Env,
  platform: NodeJS.Platform = process.platform,
): RefusedSwitch | undefined {
  for (const arg of argv.slice(1)) {
    const name = switchName(arg, platform);
    if (name !== undefined && (REFUSED_NAMES.includes(name) || name.startsWith(REFUSED_PREFIX)))
      return { source: 'command line', name: `--${name}` };
  }
  for (const option of (env.NODE_OPTIONS ?? '').split(/\s+/)) {
    const name = switchName(option, 'linux');
    if (name !== undefined && name.startsWith(REFUSED_PREFIX)) return { source: 'NODE_OPTIONS', name: `--${name}` };
  }
  return undefined;
}

/** The line logged before FieldKey exits. */
export function refusedLaunchMessage(refused: RefusedSwitch): string {
  return `FieldKey refuses to start with ${refused.name} (${refused.source}): it would let another program debug the app. Start FieldKey without it.`;
}

/** `remote-debugging-port` for `--remote-debugging-port=9222`, `-Remote-Debugging-Port`, `/js-flags` on Windows; undefined for a non-switch. */
function switchName(arg: string, platform: NodeJS.Platform): string | undefined {
  const prefix = /^(--|-|\/)/.exec(arg)?.[1];
  if (prefix === undefined || (prefix === '/' && platform !== 'win32')) return undefined;
  const name = arg.slice(prefix.length).split('=', 1)[0]!;
  if (name === '') return undefined;
  return name.toLowerCase();
}
