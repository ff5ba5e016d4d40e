#!/usr/bin/env bash
# `npm test`: the whole suite as CI runs it. Installs missing Debian packages and, where the machine's
# Node is older, Node.js 24 (scripts/setup-system.sh, then scripts/node-env.sh), then type-checks,
# lints, and runs every test inside a private D-Bus session with an unlocked gnome-keyring
# (scripts/with-keyring.sh). Ends with a plain "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
. scripts/node-env.sh
[ -d node_modules ] || npm ci
# node_modules installed by an older Node (before setup-system.sh brought 24): rebuild the native
# modules for this one.
node -e 'require("better-sqlite3")(":memory:").close()' 2>/dev/null || npm rebuild better-sqlite3 keytar
npm run --silent typecheck
npm run --silent lint
report=$(mktemp)
trap 'rm -f "$report"' EXIT
status=0
bash scripts/with-keyring.sh npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$report" || true
exit "$status"
