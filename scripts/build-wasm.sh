#!/usr/bin/env bash
# Builds the WebAssembly modules (core + wasm/bindings.cpp) with the CMake preset "wasm":
#   build/wasm/wasm/digit_cnn.{js,wasm}                     single-threaded, SIMD
#   build/wasm-mt/wasm/digit_cnn_mt.{js,wasm,worker.js}     pthreads + SIMD, used for training
#                                                           when the page is cross-origin isolated
# scripts/serve.mjs serves both as /generated/.
#
#   scripts/build-wasm.sh                 build both
#   scripts/build-wasm.sh --no-threads    only the single-threaded module (all the page needs)
#   scripts/build-wasm.sh --site DIR      also assemble the static site in DIR (scripts/site.mjs:
#                                         page, wasm, weights, gzip MNIST; see scripts/site.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

SITE=""
THREADS=1
while (($#)); do
  case "$1" in
    --site) SITE="${2:?--site needs a directory}"; shift 2 ;;
    --no-threads) THREADS=0; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "build-wasm: unknown argument $1" >&2; exit 2 ;;
  esac
done

command -v emcmake >/dev/null || { echo "build-wasm: emscripten is missing (run scripts/setup.sh)" >&2; exit 1; }
# Debian's emscripten 3.1.6 runs its JS optimiser under the system Node, which needs the Debian
# node modules (acorn) on NODE_PATH.
export NODE_PATH="${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs"
JOBS="${JOBS:-2}"

cmake --preset wasm >/dev/null
cmake --build --preset wasm -j"$JOBS"
OUTPUTS=(build/wasm/wasm/digit_cnn.js build/wasm/wasm/digit_cnn.wasm)
if ((THREADS)); then
  cmake --preset wasm -B build/wasm-mt -DCNN_WASM_THREADS=ON >/dev/null
  cmake --build build/wasm-mt -j"$JOBS"
  OUTPUTS+=(build/wasm-mt/wasm/digit_cnn_mt.js build/wasm-mt/wasm/digit_cnn_mt.wasm
    build/wasm-mt/wasm/digit_cnn_mt.worker.js)
fi
for f in "${OUTPUTS[@]}"; do
  [[ -f "$f" ]] || { echo "build-wasm: $f was not produced" >&2; exit 1; }
  echo "build-wasm: $f ($(stat -c %s "$f") bytes)"
done

if [[ -n "$SITE" ]]; then
  WASM_DIRS=()
  for f in "${OUTPUTS[@]}"; do WASM_DIRS+=(--wasm-dir "$(dirname "$f")"); done
  node scripts/site.mjs "$SITE" $(printf '%s\n' "${WASM_DIRS[@]}" | uniq)
fi
