#!/usr/bin/env bash
# Installs the Debian packages FieldKey's build and tests need, when they are missing:
#   libsecret-1-dev   keytar's build (Secret Service client)
#   gnome-keyring     a Secret Service for the keychain tests
#   dbus              a session bus for it (dbus-run-session)
#   dbus-bin          dbus-monitor, which the Linux screen-lock watcher runs
#   libglib2.0-bin    gdbus, which the screen-lock tests emit signals with
#   chromium          the system browser / renderer in end-to-end tests
#   faketime          moving the clock in end-to-end tests
# Needs root (or sudo) only when something is missing. Other systems: install the equivalents.
set -euo pipefail
need=()
dpkg -s libsecret-1-dev >/dev/null 2>&1 || need+=(libsecret-1-dev)
command -v gnome-keyring-daemon >/dev/null 2>&1 || need+=(gnome-keyring)
command -v dbus-run-session >/dev/null 2>&1 || need+=(dbus)
command -v dbus-monitor >/dev/null 2>&1 || need+=(dbus-bin)
command -v gdbus >/dev/null 2>&1 || need+=(libglib2.0-bin)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v faketime >/dev/null 2>&1 || need+=(faketime)
[ ${#need[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-system: missing ${need[*]}; install them with your package manager" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "setup-system: installing ${need[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" dbus-x11 >&2
