#!/usr/bin/env bash
# Builds the libFuzzer targets (clang 14 with ASan + UBSan: CMake preset "fuzz", in build/fuzz)
# and runs each for SECONDS (default 60), one after the other, at the lowest CPU priority.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]   targets: idx weights spec preprocess checkpoint onnx (all)
#   scripts/fuzz.sh --replay                 only replay fuzz/corpus and fuzz/regressions
#   scripts/fuzz.sh --no-build ...           use the fuzzers already in build/fuzz
#
# New interesting inputs go to build/fuzz/corpus/<target>/; the committed seeds in fuzz/corpus/
# are read, never written. A finding (crash, sanitizer report, escaped exception, broken
# invariant, allocation over 512 MB, input slower than 10 s) stops the script with status 1 and
# leaves the input in build/fuzz/artifacts/<target>/. Fix the bug, then copy that file into
# fuzz/regressions/<target>/ so that every test run replays it (tests/test_fuzz_replay.cpp).
# CI runs a smoke test: scripts/fuzz.sh 20
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH=60
REPLAY_ONLY=0
BUILD=1
TARGETS=()
for arg in "$@"; do
    case "$arg" in
        --replay) REPLAY_ONLY=1 ;;
        --no-build) BUILD=0 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        ''|*[!0-9]*) TARGETS+=("$arg") ;;
        *) SECONDS_EACH=$arg ;;
    esac
done
ALL=(idx weights spec preprocess checkpoint onnx)
((${#TARGETS[@]})) || TARGETS=("${ALL[@]}")
for t in "${TARGETS[@]}"; do
    [[ " ${ALL[*]} " == *" $t "* ]] || { echo "fuzz: unknown target '$t' (targets: ${ALL[*]})" >&2; exit 2; }
done

if ((BUILD)); then
    command -v clang++-14 >/dev/null || { echo "fuzz: clang++-14 is missing (run scripts/setup.sh)" >&2; exit 1; }
    cmake --preset fuzz >/dev/null
    nice -n 19 cmake --build --preset fuzz -j"${JOBS:-2}" >/dev/null
fi

if ((REPLAY_ONLY)); then
    exec ctest --preset fuzz
fi

OUT=build/fuzz
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
status=0
for t in "${TARGETS[@]}"; do
    mkdir -p "$OUT/corpus/$t" "$OUT/artifacts/$t" "$OUT/logs"
    dirs=("$OUT/corpus/$t" "fuzz/corpus/$t")
    [[ -d "fuzz/regressions/$t" ]] && dirs+=("fuzz/regressions/$t")
    dict=()
    [[ -f "fuzz/dict/$t.dict" ]] && dict=("-dict=fuzz/dict/$t.dict")
    log="$OUT/logs/$t.log"
    if nice -n 19 "$OUT/fuzz/fuzz_$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -malloc_limit_mb=512 -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$t/" \
        "${dict[@]}" "${dirs[@]}" >"$log" 2>&1; then
        runs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')
        echo "fuzz: $t: $runs runs in ${SECONDS_EACH} s, no findings (corpus $(ls "$OUT/corpus/$t" | wc -l) files)"
    else
        status=1
        echo "fuzz: $t: FINDING; input in $OUT/artifacts/$t/, log in $log:" >&2
        grep -E 'ERROR|SUMMARY|what\(\)|invariant|Test unit written' "$log" | head -8 >&2 || tail -20 "$log" >&2
    fi
done
exit $status
