#!/bin/sh
# Runs a command on a supported Node (>= 22.12). The machine's own Node is used when it is new enough, so a user
# with Node 22+ installs nothing. An older one (Node 20 is past its end of life) gets Node 24 from the npm registry
# itself — the package node-<os>-<arch> ships the real binary — installed once into the ignored .cache/node.
#
#   sh scripts/supported-node.sh node apps/proxy/dist/cli.js     # every root script goes through this
#   sh scripts/supported-node.sh --print-path                    # the directory to put first on PATH
set -eu

readonly minimum_major=22 minimum_minor=12
readonly pinned_version=24.22.3
root=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cache_dir="${VS_NODE_CACHE_DIR:-$root/.cache/node}"

is_supported() {
  "$1" -e "const [major, minor] = process.versions.node.split('.').map(Number); process.exit(major > $minimum_major || (major === $minimum_major && minor >= $minimum_minor) ? 0 : 1)" 2>/dev/null
}

platform_package() {
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) echo "supported-node: no Node package for $(uname -s); install Node >= $minimum_major.$minimum_minor yourself" >&2; exit 1 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "supported-node: no Node package for $(uname -m); install Node >= $minimum_major.$minimum_minor yourself" >&2; exit 1 ;;
  esac
  echo "node-$os-$arch"
}

node_directory() {
  if command -v node >/dev/null 2>&1 && is_supported node; then
    dirname -- "$(command -v node)"
    return
  fi
  package=$(platform_package)
  directory="$cache_dir/node_modules/$package/bin"
  if [ ! -x "$directory/node" ] || ! is_supported "$directory/node"; then
    echo "supported-node: this machine's Node is $(node --version 2>/dev/null || echo missing); installing $package@$pinned_version from the npm registry into $cache_dir" >&2
    mkdir -p "$cache_dir"
    # A private prefix: `npm install -g` would replace the system's node (npm's prefix is /usr on many machines).
    npm install --prefix "$cache_dir" --no-save --no-fund --no-audit --loglevel=error "$package@$pinned_version" >&2
  fi
  echo "$directory"
}

directory=$(node_directory)
if [ "${1:-}" = "--print-path" ]; then
  echo "$directory"
  exit 0
fi
PATH="$directory:$PATH"
export PATH
exec "$@"
