#!/usr/bin/env bash
# An exported model checked by other implementations: the onnx checker (python3-onnx) accepts the
# file, and ONNX Runtime (onnxruntime-node) computes the same probabilities as digit-cnn on the
# first 200 MNIST test images (within 1e-5), and the same logits (within 1e-5 relative).
#   ort_export_test.sh DIGIT_CNN ONNX_LOGITS WORKDIR WEIGHTS
set -euo pipefail
cli=$1 logits=$2 dir=$3 weights=$4
images=data/mnist/t10k-images-idx3-ubyte
[[ -f $images ]] || { echo "MNIST is missing: run scripts/get-mnist.sh" >&2; exit 1; }
rm -rf "$dir" && mkdir -p "$dir"
"$cli" export --format onnx --weights "$weights" --output "$dir/model.onnx"
/usr/bin/python3 - "$dir/model.onnx" <<'PY'
import sys
import onnx
m = onnx.load(sys.argv[1])
onnx.checker.check_model(m, full_check=True)
dims = [d.dim_param or d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim]
print(f"onnx {onnx.__version__} checker: ok (opset {m.opset_import[0].version}, input {m.graph.input[0].name} {dims}, "
      f"{len(m.graph.node)} nodes, outputs {[o.name for o in m.graph.output]})")
PY
"$logits" "$weights" "$images" 200 "$dir/ours"
read -r h w c classes < <(/usr/bin/python3 -c "
import onnx, sys
m = onnx.load(sys.argv[1])
d = [x.dim_value for x in m.graph.input[0].type.tensor_type.shape.dim]
print(d[1], d[2], d[3], m.graph.output[0].type.tensor_type.shape.dim[1].dim_value)" "$dir/model.onnx")
node tests/onnx/ort_check.mjs "$dir/model.onnx" "$dir/ours" "$h" "$w" "$c" "$classes"
