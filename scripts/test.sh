#!/usr/bin/env bash
# `npm test`: the whole suite as CI runs it. Installs missing Debian packages (scripts/setup-system.sh),
# then type-checks, lints, and runs every test inside a private D-Bus session with an unlocked
# gnome-keyring (scripts/with-keyring.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
[ -d node_modules ] || npm ci
npm run --silent typecheck
npm run --silent lint
bash scripts/with-keyring.sh npx vitest run "$@"
