#!/usr/bin/python3
"""Pairs digit-cnn and peer measurements from a bench JSONL file and prints medians and ratios
as a Markdown table (for bench/RESULTS.md). Usage: summarize.py FILE.jsonl"""
import json
import statistics
import sys
from collections import defaultdict

KEYS = {"train": ("images_per_second", "training images/s", True),
        "infer1": ("median_ms", "batch-1 inference latency (ms)", False),
        "infer1noise": ("median_ms", "batch-1 latency on random pixels (ms); peer: its digit latency", False),
        "infer1000": ("images_per_second", "batch-1000 inference images/s", True)}


def main(path):
    values = defaultdict(list)
    gemm = []
    blas = []
    for line in open(path):
        line = line.strip()
        if not line.startswith("{"):
            continue
        m = json.loads(line)
        if m["bench"] == "gemm":
            gemm.append(m)
        elif m["bench"] == "blas":
            blas.append(m)
        elif m["bench"] in KEYS:
            values[(m["bench"], m["impl"])].append(m[KEYS[m["bench"]][0]])
    impls = sorted({impl for (_, impl) in values if impl != "digit-cnn"})
    print("| measurement | digit-cnn | " + " | ".join(impls) + " | ratio (ours vs " + ", ".join(impls) + ") |")
    print("|---|---|" + "---|" * len(impls) + "---|")
    for bench, (key, label, higher_better) in KEYS.items():
        ours = values.get((bench, "digit-cnn"))
        if not ours:
            continue
        row = [label, "%.4g (runs %s)" % (statistics.median(ours), ", ".join("%.4g" % v for v in ours))]
        ratios = []
        for impl in impls:
            # A peer's time does not depend on the pixels: its digit latency stands for noise too.
            theirs = values.get((bench, impl)) or values.get((bench.replace("noise", ""), impl))
            if not theirs:
                row.append("-")
                continue
            row.append("%.4g (runs %s)" % (statistics.median(theirs), ", ".join("%.4g" % v for v in theirs)))
            r = statistics.median(ours) / statistics.median(theirs)
            ratios.append("%.2fx %s" % (r if higher_better else 1 / r, "faster"))
        row.append("; ".join(ratios) or "-")
        print("| " + " | ".join(row) + " |")
    for b in blas:
        print("\nPyTorch BLAS: %s (%s)" % ("OpenBLAS" if b["openblas"] else "NOT OpenBLAS", ", ".join(b["libraries"])))
    for g in gemm:
        print("\nEigen SGEMM %dx%d on %d threads: %.1f GFLOP/s" % (g["n"], g["n"], g["threads"], g["gflops"]))


if __name__ == "__main__":
    main(sys.argv[1])
