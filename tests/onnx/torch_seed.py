#!/usr/bin/python3
"""Builds the seed architecture in PyTorch (1.13), trains it for one epoch on the first --train
MNIST training images, exports it with torch.onnx.export and writes its logits on the MNIST test
set, for tests/onnx/torch_import_test.sh to compare with digit-cnn's import of the same file.

PyTorch 1.13 cannot export Conv2d(padding='same'), so the model pads with F.pad the way
TensorFlow's "same" does: for an even kernel the smaller half goes top/left (k4: 1 before,
2 after; k2: 0 before, 1 after). The exporter turns F.pad into a Pad node before the Conv.

Also exports an untrained model with batch norm that the exporter cannot fold (after a ReLU and
after a Linear; PyTorch's epsilon) and an untrained one with skip connections (ResNet's basic
block, and nested shortcuts), each with its logits on the first 200 test images, and two small
models digit-cnn must refuse: one with an op it does not support (Sigmoid), one whose shortcuts
cross.
"""
import argparse
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class SeedNet(nn.Module):
    """input 28x28x1 | conv 32 k4 same | relu | maxpool 2 | conv 64 k2 same | relu | maxpool 2 |
    flatten | dense 128 | relu | dropout 0.5 | dense 10, in NCHW."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 4)
        self.conv2 = nn.Conv2d(32, 64, 2)
        self.dense1 = nn.Linear(7 * 7 * 64, 128)
        self.dropout = nn.Dropout(0.5)
        self.dense2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(F.pad(x, (1, 2, 1, 2)))), 2)
        x = F.max_pool2d(F.relu(self.conv2(F.pad(x, (0, 1, 0, 1)))), 2)
        x = torch.flatten(x, 1)
        return self.dense2(self.dropout(F.relu(self.dense1(x))))


def randomise_batch_norm(*layers):
    """Running statistics and affine parameters that matter (not PyTorch's 0/1 defaults)."""
    for bn in layers:
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
        nn.init.uniform_(bn.weight, 0.5, 1.5)
        nn.init.uniform_(bn.bias, -0.5, 0.5)


class WithBatchNorm(nn.Module):
    """Batch norm where the exporter cannot fold it into a Conv (after a ReLU; after a Linear),
    with PyTorch's epsilon (1e-5, not our 1e-3) and running statistics that matter."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, stride=2)
        self.bn2d = nn.BatchNorm2d(8)
        self.dense1 = nn.Linear(8 * 13 * 13, 16)
        self.bn1d = nn.BatchNorm1d(16)
        self.dense2 = nn.Linear(16, 10)
        randomise_batch_norm(self.bn2d, self.bn1d)

    def forward(self, x):
        x = self.bn2d(F.relu(self.conv(x)))
        return self.dense2(F.relu(self.bn1d(self.dense1(torch.flatten(x, 1)))))


class Residual(nn.Module):
    """Skip connections as ResNet writes them: a basic block (conv, batch norm, ReLU, conv, batch
    norm, + shortcut, ReLU) and, after a pool, a 1x1 branch nested inside a second shortcut."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3)
        self.a1, self.a2 = nn.Conv2d(8, 8, 3), nn.Conv2d(8, 8, 3)
        self.bn1, self.bn2 = nn.BatchNorm2d(8), nn.BatchNorm2d(8)
        self.b1, self.b2 = nn.Conv2d(8, 8, 1), nn.Conv2d(8, 8, 3)
        self.dense = nn.Linear(8 * 14 * 14, 10)
        randomise_batch_norm(self.bn1, self.bn2)

    def forward(self, x):
        s = F.relu(self.stem(F.pad(x, (1, 1, 1, 1))))
        y = F.relu(self.bn1(self.a1(F.pad(s, (1, 1, 1, 1)))))
        y = F.relu(self.bn2(self.a2(F.pad(y, (1, 1, 1, 1)))) + s)
        t = F.max_pool2d(y, 2)
        u = F.relu(self.b1(t)) + t
        u = self.b2(F.pad(u, (1, 1, 1, 1))) + t
        return self.dense(torch.flatten(u, 1))


class Crossing(nn.Module):
    """Two shortcuts that cross (the second starts inside the first and ends after it): no
    chain of nested skips computes this."""

    def __init__(self):
        super().__init__()
        self.c = nn.ModuleList(nn.Conv2d(1 if i == 0 else 4, 4, 1) for i in range(4))
        self.dense = nn.Linear(4 * 28 * 28, 10)

    def forward(self, x):
        x1 = self.c[0](x)
        x2 = self.c[1](x1)
        x3 = self.c[2](x2) + x1
        x4 = self.c[3](x3) + x2
        return self.dense(torch.flatten(x4, 1))


class Unsupported(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.dense = nn.Linear(4 * 26 * 26, 10)

    def forward(self, x):
        return self.dense(torch.flatten(torch.sigmoid(self.conv(x)), 1))


def export(model, path):
    model.eval()
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path, opset_version=13, input_names=["image"],
                      output_names=["logits"], dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="data/mnist")
    p.add_argument("--out", required=True, help="directory for the .onnx files and logits")
    p.add_argument("--train", type=int, default=60000, help="training images for the epoch")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()

    torch.manual_seed(a.seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(2)
    x_train = torch.from_numpy(read_idx(f"{a.data}/train-images-idx3-ubyte")[:a.train].astype(np.float32) / 255.0)
    y_train = torch.from_numpy(read_idx(f"{a.data}/train-labels-idx1-ubyte")[:a.train].astype(np.int64))
    x_test = torch.from_numpy(read_idx(f"{a.data}/t10k-images-idx3-ubyte").astype(np.float32) / 255.0)
    y_test = read_idx(f"{a.data}/t10k-labels-idx1-ubyte").astype(np.int64)
    x_train, x_test = x_train.unsqueeze(1), x_test.unsqueeze(1)

    model = SeedNet()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    model.train()
    start = time.time()
    order = torch.randperm(len(x_train))
    for i in range(0, len(order), 64):
        idx = order[i:i + 64]
        opt.zero_grad()
        F.cross_entropy(model(x_train[idx]), y_train[idx]).backward()
        opt.step()
    seconds = time.time() - start

    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(x_test[i:i + 1000]) for i in range(0, len(x_test), 1000)]).numpy()
    logits.astype("<f4").tofile(f"{a.out}/torch.logits.f32")
    accuracy = float((logits.argmax(1) == y_test).mean())
    export(model, f"{a.out}/torch_seed.onnx")
    export(Unsupported(), f"{a.out}/torch_sigmoid.onnx")
    bn = WithBatchNorm().eval()
    with torch.no_grad():
        bn(x_test[:200]).numpy().astype("<f4").tofile(f"{a.out}/torch_bn.logits.f32")
    export(bn, f"{a.out}/torch_bn.onnx")
    residual = Residual().eval()
    with torch.no_grad():
        residual(x_test[:200]).numpy().astype("<f4").tofile(f"{a.out}/torch_residual.logits.f32")
    export(residual, f"{a.out}/torch_residual.onnx")
    export(Crossing(), f"{a.out}/torch_crossing.onnx")
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads): one epoch on "
          f"{len(x_train)} images in {seconds:.1f} s; MNIST test accuracy {100 * accuracy:.2f}%")


if __name__ == "__main__":
    sys.exit(main())
