#!/usr/bin/env bash
# Sets up a fresh Debian machine and runs every test: native Catch2 suite (ctest) and, when the
# web part is present, the WebAssembly build with its Node and browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash scripts/get-mnist.sh

echo "== native build"
cmake --preset native >/dev/null
cmake --build --preset native -j2

echo "== native tests (ctest)"
ctest --preset native -j2

# The sanitizer suite (cmake --preset native-asan ...) and the fuzz smoke run (scripts/fuzz.sh 20)
# are separate commands until they are verified to fit CI's time budget; see README.

if [[ -f scripts/build-wasm.sh && -d tests/web ]]; then
  echo "== wasm build"
  bash scripts/build-wasm.sh
  echo "== web tests (node --test, headless chromium)"
  node --test --test-concurrency=1 tests/web/
fi
