#!/usr/bin/env bash
# Sets up a fresh Debian machine and runs every test: the native Catch2 suite (ctest), its
# kernel, layer and training tests again on the browser's GEMM kernel (CNN_OWN_GEMM), the suite
# under ASan + UBSan, a short libFuzzer run of every parser (FUZZ_SECONDS, default 15), and the
# WebAssembly build with its Node and browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash scripts/get-mnist.sh

echo "== native build"
cmake --preset native >/dev/null
cmake --build --preset native -j2

echo "== native tests (ctest)"
ctest --preset native -j2

echo "== native tests on the browser's GEMM kernel (CNN_OWN_GEMM: kernel, layer and training tests, exact bits)"
cmake --preset native-own-gemm >/dev/null
cmake --build --preset native-own-gemm -j2
ctest --preset native-own-gemm -j2

echo "== native tests under AddressSanitizer + UndefinedBehaviorSanitizer (ctest)"
cmake --preset native-asan >/dev/null
cmake --build --preset native-asan -j2
ctest --preset native-asan -j2

echo "== fuzz smoke run (libFuzzer, ${FUZZ_SECONDS:-15} s per target)"
bash scripts/fuzz.sh "${FUZZ_SECONDS:-15}"

if [[ -f scripts/build-wasm.sh && -d tests/web ]]; then
  echo "== wasm build"
  bash scripts/build-wasm.sh
  echo "== web tests (node --test, headless chromium)"
  node --test --test-concurrency=1 tests/web/
fi
