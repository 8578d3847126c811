#!/usr/bin/env bash
# The augmentation ablation behind the robust default (README, "Real handwriting"): short runs of
# the improved architecture, one per recipe, each scored on the robustness sets' validation
# halves. Usage: scripts/ablation.sh [EPOCHS] (default 8). Logs and weights go to weights/ablation/.
set -euo pipefail
cd "$(dirname "$0")/.."
D=build/native/tools/digit-cnn
EPOCHS=${1:-8}
OUT=weights/ablation
mkdir -p "$OUT"
SPEC='input 28x28x1 | conv 32 k5 same | batchnorm | relu | maxpool 2 | conv 64 k3 same | batchnorm | relu | maxpool 2 | conv 128 k3 same | batchnorm | relu | maxpool 2 | flatten | dense 128 | batchnorm | relu | dropout 0.4 | dense 10'
COMMON=(--spec "$SPEC" --epochs "$EPOCHS" --lr 0.002 --lr-schedule cosine --patience 0 --seed 1 --threads 2)
# a3-all ran when --stroke meant a change in [-0.6, 0.6]; --stroke has since become dilation only.
declare -A RECIPES=(
  [a0-affine]="--augment"
  [a1-redraw]="--augment --redraw 0.5"
  [a2-redraw-marks]="--augment --redraw 0.5 --marks 0.5"
  [a3-all]="--augment --redraw 0.5 --marks 0.5 --stray 0.1 --stroke 0.6"
)
NAMES=(${ABLATION_RECIPES:-a0-affine a1-redraw a2-redraw-marks a3-all})
for name in "${NAMES[@]}"; do
  [[ -f "$OUT/$name.dcnn" ]] && continue
  # shellcheck disable=SC2086
  $D train "${COMMON[@]}" ${RECIPES[$name]} --output "$OUT/$name.dcnn" > "$OUT/$name.log" 2>&1
done
W=()
for name in "${NAMES[@]}"; do W+=("$OUT/$name.dcnn"); done
$D robustness --weights "${W[@]}" weights/improved.dcnn --per-class > "$OUT/robustness-val.txt"
cat "$OUT/robustness-val.txt"
