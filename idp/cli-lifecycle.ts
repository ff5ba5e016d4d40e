/**
 * What the development servers' command lines share (`npm run idp`, `npm run api`): their flags
 * parsed strictly with a usage text, `main` run with a start-up failure reported in one line, and a
 * clean stop on Ctrl-C or SIGTERM.
 */
/** Writes `message` and the usage to stderr and exits with status 2 (a wrong command line). */
export function failUsage(message: string, usage: string): never {
  process.stderr.write(`${message}\n\n${usage}`);
  process.exit(2);
}

/**
 * The flags `parse` reads (node:util `parseArgs`, strict): a wrong command line is `failUsage`;
 * undefined after `--help` printed the usage.
 */
export function parseFlagsOrExit<V extends { help?: boolean | undefined }>(parse: () => { values: V }, usage: string): V | undefined {
  let values: V;
  try {
    ({ values } = parse());
  } catch (error) {
    failUsage(error instanceof Error ? error.message : String(error), usage);
  }
  if (values.help) {
    process.stdout.write(usage);
    return undefined;
  }
  return values;
}

/** Stops the server on SIGINT or SIGTERM, then exits (0 once stopped, 1 if stopping failed). */
export function stopOnSignal(stop: () => Promise<void>, log: (line: string) => void): void {
  const shutdown = (): void => {
    log('stopping');
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

/** Runs `main`; a failure to start is one line on stderr and exit status 1. */
export function runServerCli(main: () => Promise<void>, what: string): void {
  main().catch((error: unknown) => {
    process.stderr.write(`${what} failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
