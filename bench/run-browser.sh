#!/usr/bin/env bash
# Browser peer comparison: digit-cnn's wasm modules vs TF.js 4.22 (@tensorflow/tfjs-backend-wasm,
# and the pure-JS cpu backend) and ONNX Runtime Web 1.30 (onnxruntime-web, wasm, inference only,
# running weights/seed.dcnn exported to ONNX by our CLI) on the seed model in headless Chromium:
# batch-1 inference latency, training images/s, memory during training, page weight. One browser
# session, rounds that interleave ours and the peers; medians and every run in the table. About
# 4-6 minutes.
#
#   bench/run-browser.sh [--rounds 3] [--threads 2] [--quick] [--no-memory] [--out FILE]
#                        [--wasm-dir DIR]...     (our modules from DIR, e.g. another build's output)
# Writes bench/results/browser-<UTC time>.json (or FILE) and prints Markdown tables.
set -euo pipefail
cd "$(dirname "$0")/.."

[[ -x ${CHROMIUM:-/usr/bin/chromium} ]] || { echo "run-browser: no Chromium at ${CHROMIUM:-/usr/bin/chromium}" >&2; exit 1; }
# playwright-core and the pinned TF.js and ORT-web packages (package.json devDependencies).
# onnxruntime-node (also a devDependency, for the test suite) would download binaries at install.
if [[ ! -d node_modules/playwright-core || ! -d node_modules/@tensorflow/tfjs-backend-wasm || ! -d node_modules/onnxruntime-web ]]; then
  ONNXRUNTIME_NODE_INSTALL="${ONNXRUNTIME_NODE_INSTALL:-skip}" npm install --no-audit --no-fund
fi
if [[ ! -f build/wasm/wasm/digit_cnn.wasm || ! -f build/wasm-mt/wasm/digit_cnn_mt.wasm ]]; then
  bash scripts/build-wasm.sh
fi
bash scripts/get-mnist.sh
# The CLI exports the seed model to ONNX for the ORT-web peer (browser-bench.mjs runs it).
if [[ ! -x build/native/tools/digit-cnn ]]; then
  cmake --preset native >/dev/null && cmake --build --preset native -j"${JOBS:-2}" --target digit-cnn
fi

echo "# $(date -u) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)" >&2
exec node bench/browser-bench.mjs "$@"
