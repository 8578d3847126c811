#!/usr/bin/env bash
# Builds the static site: one folder to copy to any static host (GitHub Pages, a CDN, an S3 bucket,
# `python3 -m http.server`); no server headers needed (sw.js, the page's service worker, supplies
# the cross-origin isolation that training on several threads needs, and the offline cache).
#
#   scripts/site.sh DIR [--weights FILE.dcnn ...] [--no-threads] [--no-build] [--no-mnist]
#
#   --weights FILE...   your own weights (e.g. from `digit-cnn train --output mine.dcnn`), listed
#                       first in the page's Pretrained row; the page opens with the first;
#                       ?model=NAME (the file name without .dcnn) picks one
#   --no-threads        only the single-threaded wasm module (training on one thread)
#   --no-build          use the wasm modules already in build/
#   --no-mnist          leave MNIST out (the page classifies but cannot train)
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=""
BUILD=1
MNIST=1
WASM_ARGS=()
SITE_ARGS=()
while (($#)); do
  case "$1" in
    --weights)
      shift
      (($#)) && [[ "$1" != --* ]] || { echo "site: --weights needs at least one .dcnn file" >&2; exit 2; }
      while (($#)) && [[ "$1" != --* ]]; do SITE_ARGS+=(--weights "$(realpath "$1")"); shift; done ;;
    --no-threads) WASM_ARGS+=(--no-threads); shift ;;
    --no-build) BUILD=0; shift ;;
    --no-mnist) MNIST=0; SITE_ARGS+=(--no-mnist); shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    --*) echo "site: unknown option $1" >&2; exit 2 ;;
    *) [[ -z "$DIR" ]] || { echo "site: one directory only ($DIR, $1)" >&2; exit 2; }; DIR="$1"; shift ;;
  esac
done
[[ -n "$DIR" ]] || { echo "usage: scripts/site.sh DIR [--weights FILE.dcnn ...] [--no-threads] [--no-build] [--no-mnist]" >&2; exit 2; }

((MNIST)) && bash scripts/get-mnist.sh
((BUILD)) && bash scripts/build-wasm.sh "${WASM_ARGS[@]}"
WASM_DIRS=(--wasm-dir build/wasm/wasm)
if [[ ! " ${WASM_ARGS[*]} " =~ " --no-threads " ]]; then WASM_DIRS+=(--wasm-dir build/wasm-mt/wasm); fi
node scripts/site.mjs "$DIR" "${WASM_DIRS[@]}" "${SITE_ARGS[@]}"
echo "site: serve it with any static server, e.g. (cd $DIR && python3 -m http.server 8000)"
