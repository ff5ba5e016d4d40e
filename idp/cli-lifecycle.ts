/**
 * The lifecycle the development servers' command lines share (`npm run idp`, `npm run api`): run
 * `main`, report a start-up failure in one line, and stop cleanly on Ctrl-C or SIGTERM.
 */

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
