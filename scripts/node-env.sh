# Sourced by bash, not run: `. scripts/node-env.sh`. When scripts/setup-system.sh has unpacked
# Node.js 24 into .fieldkey-node/ (the machine's own Node being older), puts its bin/ first on PATH
# and points node-gyp at its headers (npm_config_nodedir), so `npm ci` builds better-sqlite3 and
# keytar for it and every later `node`, `npm` and `npx` runs on it. Does nothing otherwise.
fieldkey_node_dir="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)/.fieldkey-node"
if [ -x "$fieldkey_node_dir/bin/node" ]; then
  case ":$PATH:" in
    *":$fieldkey_node_dir/bin:"*) ;;
    *) PATH="$fieldkey_node_dir/bin:$PATH" ;;
  esac
  npm_config_nodedir="$fieldkey_node_dir"
  export PATH npm_config_nodedir
fi
unset fieldkey_node_dir
