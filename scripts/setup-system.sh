#!/usr/bin/env bash
# Installs what FieldKey's build and tests need, when it is missing.
#
# Node.js 24, the major Electron 45 embeds: where the machine's `node` is older (or absent), the
# pinned `node-linux-<arch>` package from the npm registry is unpacked into .fieldkey-node/ in the
# repository (git-ignored), its integrity checked against the value pinned below. Source
# scripts/node-env.sh afterwards to put it first on PATH and point node-gyp at its headers
# (.ci/run and `npm test` do). Needs `npm` from the machine's own Node.
#
# Debian packages:
#   libsecret-1-dev   keytar's build (Secret Service client)
#   gnome-keyring     a Secret Service for the keychain tests
#   dbus              a session bus for it (dbus-run-session)
#   dbus-bin          dbus-monitor, which the Linux screen-lock watcher runs
#   libglib2.0-bin    gdbus, which the screen-lock tests emit signals with
#   chromium          the system browser / renderer in end-to-end tests
#   faketime          moving the clock in end-to-end tests
# Needs root (or sudo) only when a Debian package is missing. Other systems: install the equivalents.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

node_version=24.22.3
node_dir="$repo/.fieldkey-node"

# The machine's Node major, or 0 when there is none.
machine_node_major() {
  command -v node >/dev/null 2>&1 || { echo 0; return; }
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

install_node() {
  local arch integrity
  case "$(uname -m)" in
    x86_64) arch=x64 integrity='sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==' ;;
    aarch64 | arm64) arch=arm64 integrity='sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==' ;;
    *) echo "setup-system: no Node.js $node_version package for $(uname -m); install Node.js 24 yourself" >&2; return 1 ;;
  esac
  if [ -x "$node_dir/bin/node" ] && [ "$("$node_dir/bin/node" -p process.versions.node)" = "$node_version" ]; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "setup-system: Node.js 24 is needed and npm is not available to fetch it; install Node.js 24 yourself" >&2
    return 1
  fi
  echo "setup-system: installing Node.js $node_version into $node_dir" >&2
  local work
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent --json "node-linux-$arch@$node_version" >pack.json)
  local got
  got=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[0].integrity' "$work/pack.json")
  if [ "$got" != "$integrity" ]; then
    echo "setup-system: node-linux-$arch@$node_version has integrity $got, expected $integrity; not installed" >&2
    rm -rf "$work"
    return 1
  fi
  rm -rf "$node_dir.partial"
  mkdir -p "$node_dir.partial"
  tar -xzf "$work/node-linux-$arch-$node_version.tgz" -C "$node_dir.partial" --strip-components=1
  rm -rf "$work" "$node_dir"
  mv "$node_dir.partial" "$node_dir"
  "$node_dir/bin/node" --version >/dev/null
}

if [ "$(machine_node_major)" -lt 24 ]; then
  install_node
fi

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
