#!/usr/bin/python3
"""Compares two raw float32 files of logits (N x classes): the largest difference relative to
max(1, |logit|) must be at most --tolerance (the absolute one is printed too), and with --labels
(an IDX label file) both must have the same accuracy."""
import argparse
import sys

import numpy as np


def main():
    p = argparse.ArgumentParser()
    p.add_argument("expected")
    p.add_argument("actual")
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--tolerance", type=float, default=1e-5)
    p.add_argument("--labels")
    p.add_argument("--what", default="logits")
    a = p.parse_args()
    e = np.fromfile(a.expected, dtype="<f4").reshape(-1, a.classes)
    g = np.fromfile(a.actual, dtype="<f4").reshape(-1, a.classes)
    if e.shape != g.shape:
        print(f"compare: {a.what}: shapes differ: {e.shape} vs {g.shape}")
        return 1
    d = np.abs(e.astype(np.float64) - g)
    diff = float(d.max())
    relative = float((d / np.maximum(1.0, np.abs(e))).max())
    ok = relative <= a.tolerance
    line = (f"compare: {a.what} of {len(e)} images: max |difference| {diff:.3g}, relative to max(1, |logit|) "
            f"{relative:.3g} (tolerance {a.tolerance:g}; largest |logit| {float(np.abs(e).max()):.1f})")
    if a.labels:
        labels = np.fromfile(a.labels, dtype=np.uint8, offset=8)[:len(e)]
        acc_e = int((e.argmax(1) == labels).sum())
        acc_g = int((g.argmax(1) == labels).sum())
        line += f"; accuracy {acc_e}/{len(e)} expected, {acc_g}/{len(e)} actual"
        ok = ok and acc_e == acc_g
    print(line + ("" if ok else "  FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
