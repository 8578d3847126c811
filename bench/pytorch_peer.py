#!/usr/bin/python3
"""PyTorch peer for digit-cnn-bench: the identical seed model, batch, optimizer and thread count.

Prints one JSON object per measurement in the same shape as digit-cnn-bench so that
bench/run-native.sh can pair them. Run with Debian's /usr/bin/python3 (python3-torch).

  pytorch_peer.py [--what train,infer1,infer1000] [--threads 2] [--batch 64] [--repeats 5]
  pytorch_peer.py --what blas     which BLAS torch loaded; exits 1 unless it is OpenBLAS
"""
import argparse
import json
import os
import statistics
import struct
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class SeedModel(nn.Module):
    """Conv(32,4x4,same)-ReLU-MaxPool2 - Conv(64,2x2,same)-ReLU-MaxPool2 - Flatten - Dense128-ReLU
    - Dropout0.5 - Dense10: 411,626 parameters, as digit-cnn's seed spec."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 4)
        self.conv2 = nn.Conv2d(32, 64, 2)
        self.dense1 = nn.Linear(7 * 7 * 64, 128)
        self.dense2 = nn.Linear(128, 10)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        # TensorFlow "same" for even kernels pads less on top/left: (left, right, top, bottom).
        x = F.max_pool2d(F.relu(self.conv1(F.pad(x, (1, 2, 1, 2)))), 2)
        x = F.max_pool2d(F.relu(self.conv2(F.pad(x, (0, 1, 0, 1)))), 2)
        x = self.drop(F.relu(self.dense1(torch.flatten(x, 1))))
        return self.dense2(x)


def load_images(path, n):
    if not os.path.exists(path):
        return torch.rand(n, 1, 28, 28)
    with open(path, "rb") as f:
        _, count, rows, cols = struct.unpack(">IIII", f.read(16))
        data = f.read(n * rows * cols)
    return torch.frombuffer(bytearray(data), dtype=torch.uint8).float().div(255).view(n, 1, rows, cols)


def load_labels(path, n):
    if not os.path.exists(path):
        return torch.randint(0, 10, (n,))
    with open(path, "rb") as f:
        f.read(8)
        return torch.frombuffer(bytearray(f.read(n)), dtype=torch.uint8).long()


def emit(obj):
    print(json.dumps(obj), flush=True)


def bench_train(a, images, labels):
    model = SeedModel()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    model.train()
    batches = 100

    def step(b):
        x = images[b * a.batch:(b + 1) * a.batch]
        y = labels[b * a.batch:(b + 1) * a.batch]
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    for b in range(10):
        step(b)
    rates = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        for b in range(batches):
            step(b)
        rates.append(batches * a.batch / (time.perf_counter() - t0))
    emit({"bench": "train", "impl": "pytorch", "threads": a.threads, "batch": a.batch,
          "images_per_second": round(statistics.median(rates), 1), "runs": [round(r, 1) for r in rates]})


def bench_infer1(a, images):
    model = SeedModel().eval()
    runs = []
    with torch.inference_mode():
        for _ in range(a.repeats):
            calls = []
            for i in range(1000):
                x = images[i:i + 1]
                t0 = time.perf_counter()
                torch.softmax(model(x), 1)
                calls.append((time.perf_counter() - t0) * 1e3)
            runs.append(statistics.median(calls))
    emit({"bench": "infer1", "impl": "pytorch", "threads": a.threads,
          "median_ms": round(statistics.median(runs), 4), "runs": [round(r, 4) for r in runs]})


def bench_infer1000(a, images):
    model = SeedModel().eval()
    x = images[:1000]
    rates = []
    with torch.inference_mode():
        torch.softmax(model(x), 1)
        for _ in range(a.repeats):
            t0 = time.perf_counter()
            torch.softmax(model(x), 1)
            rates.append(1000 / (time.perf_counter() - t0))
    emit({"bench": "infer1000", "impl": "pytorch", "threads": a.threads,
          "images_per_second": round(statistics.median(rates), 1), "runs": [round(r, 1) for r in rates]})


def blas_libraries():
    """The BLAS/LAPACK shared libraries this process has mapped after a matrix product: Debian's
    torch links libblas.so.3, which the alternatives system points at OpenBLAS
    (libopenblas0-pthread) or at the slow reference BLAS."""
    torch.ones(64, 64) @ torch.ones(64, 64)
    with open("/proc/self/maps") as f:
        return sorted({line.split()[-1] for line in f if "blas" in line or "lapack" in line})


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--what", default="train,infer1,infer1000")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--data", default="data/mnist")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    n = a.batch * 110
    images = load_images(os.path.join(a.data, "train-images-idx3-ubyte"), max(n, 1000))
    labels = load_labels(os.path.join(a.data, "train-labels-idx1-ubyte"), max(n, 1000))
    assert sum(p.numel() for p in SeedModel().parameters()) == 411626
    what = a.what.split(",")
    if "blas" in what:
        libs = blas_libraries()
        openblas = any("openblas" in lib for lib in libs)
        emit({"bench": "blas", "impl": "pytorch", "openblas": openblas, "libraries": libs})
        if not openblas:
            raise SystemExit("pytorch_peer: torch is not using OpenBLAS (loaded: %s); install libopenblas0-pthread "
                             "or select it with update-alternatives --config libblas.so.3-x86_64-linux-gnu"
                             % (", ".join(libs) or "no BLAS library"))
        return
    if "train" in what:
        bench_train(a, images, labels)
    if "infer1" in what:
        bench_infer1(a, images)
    if "infer1000" in what:
        bench_infer1000(a, images)


if __name__ == "__main__":
    main()
