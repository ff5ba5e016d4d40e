// `npm run web`: starts the development web host (webhost/index.ts) where the keychain
// works. On Linux the keychain is a Secret Service on the session D-Bus: when none is reachable,
// the host runs inside scripts/with-keyring.sh (a private D-Bus session and unlocked gnome-keyring,
// discarded at exit, with a data directory discarded with it unless FIELDKEY_DATA_DIR is set), and
// where that wrapper's programs are missing this prints what to run instead. The host's first line
// of output is the URL to open (`npm run --silent web` keeps npm's own banner from coming first).
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const HOST = ['--import', 'tsx', 'webhost/index.ts', ...process.argv.slice(2)];
// dbus-daemon running as root reports that it could not raise its file limit; not the host's news.
const DBUS_NOISE = /^dbus-daemon\[\d+\]: .*Failed to set fd limit/;

/** Whether a program is on PATH. */
function has(program) {
  return spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
}

/** Whether the session bus has a Secret Service running or ready to start. */
function secretServiceReachable() {
  if (!has('gdbus')) return false;
  const ask = (method, ...args) =>
    spawnSync(
      'gdbus',
      [
        'call',
        '--session',
        '--timeout',
        '5',
        '--dest',
        'org.freedesktop.DBus',
        '--object-path',
        '/org/freedesktop/DBus',
        '--method',
        `org.freedesktop.DBus.${method}`,
        ...args,
      ],
      {
        encoding: 'utf8',
        timeout: 10_000,
      },
    ).stdout ?? '';
  return (
    ask('NameHasOwner', 'org.freedesktop.secrets').includes('true') || ask('ListActivatableNames').includes("'org.freedesktop.secrets'")
  );
}

/** Runs the host, its stdout straight through, its stderr less the D-Bus noise; exits with its status. */
function run(command, args) {
  // A process group of its own, so a signal reaches the wrapper, the bus and the host alike.
  const child = spawn(command, args, { cwd: ROOT, stdio: ['inherit', 'inherit', 'pipe'], detached: true });
  let pending = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (!DBUS_NOISE.test(line)) process.stderr.write(`${line}\n`);
  });
  child.stderr.on('end', () => pending && process.stderr.write(pending));
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.kill(-child.pid, signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (process.platform !== 'linux' || process.env.FIELDKEY_IN_KEYRING_SESSION === '1' || secretServiceReachable()) {
  run(process.execPath, HOST);
} else if (has('dbus-run-session') && has('gnome-keyring-daemon')) {
  const inner = 'export FIELDKEY_DATA_DIR="${FIELDKEY_DATA_DIR:-$FIELDKEY_KEYRING_HOME/data-dir}"; exec "$@"';
  run('bash', ['scripts/with-keyring.sh', 'bash', '-c', inner, 'web-host', process.execPath, ...HOST]);
} else {
  process.stderr.write(
    'FieldKey web host: no Secret Service (the keychain) is reachable on the session D-Bus, and\n' +
      'dbus-run-session or gnome-keyring-daemon is missing to start a private one. Run:\n' +
      '  bash scripts/setup-system.sh && npm run --silent web\n' +
      '(setup-system.sh installs dbus and gnome-keyring), or run it from a desktop session whose keyring is running.\n',
  );
  process.exit(2);
}
