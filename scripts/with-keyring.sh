#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked gnome-keyring, so keytar reaches a
# real Secret Service without touching the user's own keyring.
#   scripts/with-keyring.sh COMMAND [ARGS...]
set -euo pipefail
if [ "${FIELDKEY_IN_KEYRING_SESSION:-}" = 1 ]; then exec "$@"; fi
export FIELDKEY_IN_KEYRING_SESSION=1
keyring_home=$(mktemp -d)
trap 'rm -rf "$keyring_home"' EXIT
# A signal the command gets as well (Ctrl-C, or SIGTERM to the process group): wait for it to end,
# then clean up, instead of leaving the keyring directory behind.
trap ':' INT TERM
export FIELDKEY_KEYRING_HOME="$keyring_home"
dbus-run-session -- bash -c '
  export XDG_DATA_HOME="$FIELDKEY_KEYRING_HOME/data" XDG_RUNTIME_DIR="$FIELDKEY_KEYRING_HOME/run"
  mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
  eval "$(printf pw | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
  export GNOME_KEYRING_CONTROL
  exec "$@"' with-keyring "$@"
