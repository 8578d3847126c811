#!/usr/bin/env bash
# Installs everything digit-cnn needs on a fresh Debian 12 machine (apt and npm only).
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(build-essential cmake libeigen3-dev catch2 zlib1g-dev libcli11-dev
  nlohmann-json3-dev libstb-dev emscripten chromium firefox-esr ca-certificates
  clang-14 libfuzzer-14-dev hershey-fonts-data libfreetype-dev
  # Handwriting fonts for the font digits (tools/font_glyphs.cpp lists the files it uses).
  fonts-bwht fonts-comic-neue fonts-dancingscript fonts-dkg-handwriting fonts-humor-sans fonts-kaushanscript
  fonts-klee fonts-rufscript fonts-sjfonts fonts-tomsontalks fonts-yusei-magic
  # ONNX cross-checks (tests/onnx/): the onnx checker, PyTorch on OpenBLAS (the PyTorch peer of
  # bench/ too), and onnx.proto, the schema core/src/io/onnx_schema.hpp follows.
  python3-onnx python3-torch libopenblas0-pthread libonnx-dev)
# Node may come from elsewhere (e.g. nodesource); only ask apt for it when it is absent.
command -v node >/dev/null || APT_PACKAGES+=(nodejs)
command -v npm >/dev/null || APT_PACKAGES+=(npm)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [[ -f package.json ]] && { [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules ]]; }; then
  echo "setup: installing npm packages"
  # onnxruntime-node bundles its CPU binaries; its install script would fetch CUDA ones from nuget.
  export ONNXRUNTIME_NODE_INSTALL=skip
  npm ci --no-audit --no-fund --loglevel=error || npm install --no-audit --no-fund --loglevel=error
  touch node_modules
fi
