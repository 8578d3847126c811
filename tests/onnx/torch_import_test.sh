#!/usr/bin/env bash
# A PyTorch model imported: the seed architecture trained for one epoch in PyTorch 1.13 on the
# first TORCH_TRAIN (default 6000) MNIST training images, exported with torch.onnx.export
# (tests/onnx/torch_seed.py), imported with `digit-cnn import`, gives the same logits as PyTorch
# (within 1e-5) and the same accuracy on all 10,000 MNIST test images; so does a model with batch
# norm layers and one with skip connections (logits on 200 images each). A model with an op we do
# not support, and one whose shortcuts cross, are refused with the node named, and no file is written.
#   torch_import_test.sh DIGIT_CNN ONNX_LOGITS WORKDIR
set -euo pipefail
cli=$1 logits=$2 dir=$3
data=data/mnist
[[ -f $data/t10k-images-idx3-ubyte ]] || { echo "MNIST is missing: run scripts/get-mnist.sh" >&2; exit 1; }
rm -rf "$dir" && mkdir -p "$dir"
/usr/bin/python3 -W ignore tests/onnx/torch_seed.py --data "$data" --out "$dir" --train "${TORCH_TRAIN:-6000}"
"$cli" import "$dir/torch_seed.onnx" --output "$dir/torch_seed.dcnn"
"$logits" "$dir/torch_seed.dcnn" $data/t10k-images-idx3-ubyte 10000 "$dir/ours"
/usr/bin/python3 tests/onnx/compare.py "$dir/torch.logits.f32" "$dir/ours.logits.f32" --tolerance 1e-5 \
    --labels $data/t10k-labels-idx1-ubyte --what "PyTorch vs imported logits"

# Batch norm PyTorch keeps as BatchNormalization nodes (epsilon 1e-5 folded into our gamma).
"$cli" import "$dir/torch_bn.onnx" --output "$dir/torch_bn.dcnn"
"$logits" "$dir/torch_bn.dcnn" $data/t10k-images-idx3-ubyte 200 "$dir/bn"
/usr/bin/python3 tests/onnx/compare.py "$dir/torch_bn.logits.f32" "$dir/bn.logits.f32" --tolerance 1e-5 \
    --what "PyTorch vs imported logits (batch norm model)"

# Skip connections (ResNet's basic block, its batch norm folded into the convolutions by the
# exporter; a shortcut nested in another) become skip ... add.
"$cli" import "$dir/torch_residual.onnx" --output "$dir/torch_residual.dcnn"
"$cli" summary --weights "$dir/torch_residual.dcnn" | head -n 1 | tee "$dir/residual.spec"
grep -q "skip | conv 8 k3 same | relu | conv 8 k3 same | add | relu | maxpool 2 | skip | skip | conv 8 k1 | relu | add | conv 8 k3 same | add" "$dir/residual.spec"
"$logits" "$dir/torch_residual.dcnn" $data/t10k-images-idx3-ubyte 200 "$dir/residual"
/usr/bin/python3 tests/onnx/compare.py "$dir/torch_residual.logits.f32" "$dir/residual.logits.f32" --tolerance 1e-5 \
    --what "PyTorch vs imported logits (skip connections)"
if "$cli" import "$dir/torch_crossing.onnx" --output "$dir/crossing.dcnn" 2>"$dir/crossing.err"; then
    echo "import of crossing shortcuts succeeded" >&2; exit 1
fi
cat "$dir/crossing.err"
grep -q "its shortcut crosses another one" "$dir/crossing.err"

if "$cli" import "$dir/torch_sigmoid.onnx" --output "$dir/sigmoid.dcnn" 2>"$dir/sigmoid.err"; then
    echo "import of a model with Sigmoid succeeded" >&2; exit 1
fi
cat "$dir/sigmoid.err"
grep -q "ONNX node '/Sigmoid' (Sigmoid): operator Sigmoid is not supported" "$dir/sigmoid.err"
[[ ! -e $dir/sigmoid.dcnn ]] || { echo "a refused import wrote $dir/sigmoid.dcnn" >&2; exit 1; }
ls "$dir" | grep -q tmp && { echo "a refused import left a temporary file" >&2; exit 1; }
echo "torch import: ok"
