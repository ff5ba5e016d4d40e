/**
 * A D-Bus session bus of one test file's own (`dbus-daemon --session --fork`), so that signals one
 * file emits never reach another file's listeners on the run's shared bus. `use()` points this
 * process (and the children it starts) at it until `stop()`. `startPrivateBus()` starts one without
 * pointing anything at it, for example to stand in for the system bus.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PrivateSessionBus {
  address: string;
  stop(): void;
}

/** A new bus daemon of this user's; `stop()` ends it. */
export async function startPrivateBus(): Promise<PrivateSessionBus> {
  const { stdout } = await run('dbus-daemon', ['--session', '--fork', '--print-address=1', '--print-pid=1']);
  const [address, pid] = stdout.trim().split('\n');
  if (!address || !pid || !/^\d+$/.test(pid)) throw new Error(`dbus-daemon printed no address and pid: ${stdout}`);
  return {
    address,
    stop: () => {
      try {
        process.kill(Number(pid));
      } catch {
        // already gone
      }
    },
  };
}

export async function usePrivateSessionBus(): Promise<PrivateSessionBus> {
  const bus = await startPrivateBus();
  const previous = process.env.DBUS_SESSION_BUS_ADDRESS;
  process.env.DBUS_SESSION_BUS_ADDRESS = bus.address;
  return {
    address: bus.address,
    stop: () => {
      if (previous === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
      else process.env.DBUS_SESSION_BUS_ADDRESS = previous;
      bus.stop();
    },
  };
}
