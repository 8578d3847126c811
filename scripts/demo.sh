#!/usr/bin/env bash
# One command from a fresh clone to the page: installs what is missing, fetches MNIST, builds the
# native tools and the WebAssembly module, then serves the page with the pretrained weights.
#
#   scripts/demo.sh [--port N] [--weights FILE.dcnn ...]     (default port 8080; PORT=N works too)
#
# --weights: your own weights (e.g. `digit-cnn train --output mine.dcnn`) beside the shipped ones;
# the page opens with the first, ?model=NAME (file name without .dcnn) picks one. The page is then
# served as the static site scripts/site.sh builds (in build/site).
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${PORT:-8080}"
WEIGHTS=()
while (($#)); do
  case "$1" in
    --port|-p) PORT="${2:?--port needs a number}"; shift 2 ;;
    --weights)
      shift
      (($#)) && [[ "$1" != --* ]] || { echo "demo: --weights needs at least one .dcnn file" >&2; exit 2; }
      while (($#)) && [[ "$1" != --* ]]; do
        [[ -f "$1" ]] || { echo "demo: weights file $1 does not exist" >&2; exit 2; }
        WEIGHTS+=("$1"); shift
      done ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
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

if ((${#WEIGHTS[@]})); then
  scripts/site.sh build/site --no-build --weights "${WEIGHTS[@]}"
  exec node scripts/serve.mjs --port "$PORT" --site build/site
fi
# Prints the URL (and a warning if weights/seed.dcnn is missing).
exec node scripts/serve.mjs --port "$PORT"
