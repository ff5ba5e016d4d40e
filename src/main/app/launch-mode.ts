/**
 * Whether the executable was started as the command line: in a packaged app
 * the same arguments given to the executable run the CLI without opening a window.
 */

/** The CLI commands that run without a window. */
export const CLI_COMMANDS: readonly string[] = ['policy', 'verify', 'doctor', 'audit'];

/** Asked of the executable without a command, these print the CLI's version or usage, not a window. */
export const CLI_ONLY_SWITCHES: readonly string[] = ['--version', '--help'];

/**
 * The CLI arguments when `argv` starts a CLI command (or is `--version` / `--help` alone), else
 * undefined. `argv` is `process.argv`: `[exe, ...args]` when packaged, `[electron, appPath, ...args]`
 * in development (`defaultApp`). Chromium switches Electron may add (`--no-sandbox`, ...) before
 * the command are skipped.
 */
export function cliArguments(argv: readonly string[], defaultApp: boolean): string[] | undefined {
  const args = argv.slice(defaultApp ? 2 : 1);
  const first = args.findIndex((a) => !a.startsWith('--'));
  if (first < 0) {
    const asked = CLI_ONLY_SWITCHES.find((name) => args.includes(name));
    return asked ? [asked] : undefined;
  }
  const command = args[first]!;
  return CLI_COMMANDS.includes(command) ? args.slice(first) : undefined;
}
