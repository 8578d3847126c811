#!/usr/bin/env bash
# One command from a fresh clone to the page: installs what is missing, fetches MNIST, builds the
# native tools and the WebAssembly module, then serves the page with the pretrained weights.
#
#   scripts/demo.sh [--port N]        (default 8080; PORT=N works too)
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${PORT:-8080}"
while (($#)); do
  case "$1" in
    --port|-p) PORT="${2:?--port needs a number}"; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "demo: unknown argument $1" >&2; exit 2 ;;
  esac
done

scripts/setup.sh
scripts/get-mnist.sh

echo "demo: building the native tools"
cmake --preset native >/dev/null
cmake --build --preset native -j2

echo "demo: building the WebAssembly module"
scripts/build-wasm.sh

# Prints the URL (and a warning if weights/seed.dcnn is missing).
exec node scripts/serve.mjs --port "$PORT"
