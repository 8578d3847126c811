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

echo "== the same suite under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake --preset native-asan >/dev/null
cmake --build --preset native-asan -j2
ctest --preset native-asan -j2

echo "== fuzz smoke run (libFuzzer, clang 14)"
bash scripts/fuzz.sh 20

if [[ -f scripts/build-wasm.sh && -d tests/web ]]; then
  echo "== wasm build"
  bash scripts/build-wasm.sh
  echo "== web tests (node --test, headless chromium)"
  node --test --test-concurrency=1 tests/web/
fi
