#!/usr/bin/env bash
# Native peer comparison: digit-cnn vs PyTorch 1.13 (python3-torch + OpenBLAS) on the seed model,
# interleaved in one invocation (rounds of ours-then-theirs), medians and ratios at the end.
#
#   bench/run-native.sh [--rounds 3] [--threads 2]      (writes bench/results/native-<date>.json)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=3
THREADS=2
while (($#)); do
  case "$1" in
    --rounds) ROUNDS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    *) echo "usage: bench/run-native.sh [--rounds N] [--threads N]" >&2; exit 2 ;;
  esac
done

BENCH=build/native/bench/digit-cnn-bench
[[ -x $BENCH ]] || { cmake --preset native >/dev/null && cmake --build --preset native -j2 --target digit-cnn-bench; }
# The peer must run on OpenBLAS: with python3-torch alone, torch uses the reference BLAS and the
# ratio would flatter us. Install what is missing, then check what torch really loaded.
missing=()
for p in python3-torch libopenblas0-pthread; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "run-native: installing ${missing[*]} (apt)"; apt-get install -y -qq "${missing[@]}" >/dev/null
fi
/usr/bin/python3 bench/pytorch_peer.py --what blas >/dev/null || exit 1
bash scripts/get-mnist.sh

mkdir -p bench/results
OUT=bench/results/native-$(date -u +%Y%m%dT%H%M%SZ).jsonl
echo "# $(date -u) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)" >&2
/usr/bin/python3 bench/pytorch_peer.py --what blas | tee -a "$OUT"
"$BENCH" --what gemm --threads "$THREADS" --repeats 3 | tee -a "$OUT"
for r in $(seq "$ROUNDS"); do
  echo "# round $r/$ROUNDS" >&2
  "$BENCH" --what train,infer1,infer1noise,infer1000 --threads "$THREADS" --repeats 3 | tee -a "$OUT"
  /usr/bin/python3 bench/pytorch_peer.py --what train,infer1,infer1000 --threads "$THREADS" --repeats 3 | tee -a "$OUT"
done
/usr/bin/python3 bench/summarize.py "$OUT"
