#!/usr/bin/env python3
"""Writes tests/golden/seed_small.bin: what PyTorch computes for the seed model's architecture,
for tests/test_golden.cpp to compare with digit-cnn (tolerance 1e-5).

    /usr/bin/python3 tests/golden/make_fixture.py [--mnist data/mnist] [--output tests/golden/seed_small.bin]

The model is the seed model's layer sequence with narrower layers, so that the fixture stays
small (seed widths 32/64/128 would make 4.9 MB of weights, gradients and updated weights; these
26,114 parameters make 0.34 MB):

    input 28x28x1 | conv 8 k4 same | relu | maxpool 2 | conv 16 k2 same | relu | maxpool 2 |
    flatten | dense 32 | relu | dropout 0.5 | dense 10

Conventions bridged here, once:
  - layout: digit-cnn is NHWC with conv kernels {kh, kw, in, out} and dense kernels {in, out};
    PyTorch is NCHW with OIHW and (out, in). The images are 28x28x1, the same bytes either way;
    the flatten is done on NHWC activations (permute first), so dense1's rows are in our order.
  - 'same' padding for even kernels follows TensorFlow, the smaller half first (top/left):
    k4 pads 1 before and 2 after, k2 pads 0 and 1 (F.pad; PyTorch's padding='same' would not do).
  - dropout: identity on both sides, for determinism. PyTorch runs the model in eval mode (no
    batch norm here, so that changes only the dropout); digit-cnn builds the same spec with
    'dropout 0', the path its inference takes, since its backward needs a training-mode forward.
  - Adam: ours is Keras' (lr_t = lr sqrt(1 - b2^t) / (1 - b1^t); p -= lr_t m / (sqrt(v) + eps),
    eps 1e-7). PyTorch adds eps to sqrt(v_hat) instead; at step t that is Keras' eps times
    1 / sqrt(1 - b2^t), so one torch.optim.Adam step with eps = 1e-7 / sqrt(1 - 0.999) is exactly
    Keras' first step.

Format (little-endian), after the magic b"DCNNGOLD" and version 1 (u32):
  spec (u32 length, bytes); n, h, w, c (u32 each); images (n*h*w*c f32, NHWC); labels (n u8);
  classes (u32); logits (n*classes f32); loss (f64, mean softmax cross-entropy);
  Adam lr, beta1, beta2, epsilon in Keras' form (f64 each); tensor count (u32); per tensor in
  digit-cnn's order: name (u32 length, bytes), size (u32), values, gradients, values after one
  Adam step (size f32 each, digit-cnn's layout).
"""
import argparse
import gzip
import math
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

SPEC = ("input 28x28x1 | conv 8 k4 same | relu | maxpool 2 | conv 16 k2 same | relu | maxpool 2 | "
        "flatten | dense 32 | relu | dropout 0 | dense 10")
LR, BETA1, BETA2, EPS = 1e-3, 0.9, 0.999, 1e-7


class SeedSmall(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 4)
        self.conv2 = nn.Conv2d(8, 16, 2)
        self.dense1 = nn.Linear(7 * 7 * 16, 32)
        self.dropout = nn.Dropout(0.5)
        self.dense2 = nn.Linear(32, 10)

    def forward(self, x):  # x: NCHW
        x = F.max_pool2d(F.relu(self.conv1(F.pad(x, (1, 2, 1, 2)))), 2)  # conv 8 k4 same
        x = F.max_pool2d(F.relu(self.conv2(F.pad(x, (0, 1, 0, 1)))), 2)  # conv 16 k2 same
        x = x.permute(0, 2, 3, 1).flatten(1)  # NHWC order, as digit-cnn flattens
        return self.dense2(self.dropout(F.relu(self.dense1(x))))


def ours(name, t):
    """A PyTorch parameter (or its gradient) in digit-cnn's layout, flat."""
    if t.dim() == 4:
        t = t.permute(2, 3, 1, 0)  # OIHW -> {kh, kw, in, out}
    elif t.dim() == 2:
        t = t.t()  # (out, in) -> {in, out}
    return t.contiguous().flatten().tolist()


def read_idx(path, header):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    return data[header:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mnist", default="data/mnist")
    ap.add_argument("--output", default=os.path.join(os.path.dirname(__file__), "seed_small.bin"))
    args = ap.parse_args()
    torch.manual_seed(16)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    n = 8  # the first eight MNIST training images; the next 512 to get the weights going
    all_pixels = read_idx(os.path.join(args.mnist, "train-images-idx3-ubyte"), 16)[: (n + 512) * 784]
    all_labels = list(read_idx(os.path.join(args.mnist, "train-labels-idx1-ubyte"), 8)[: n + 512])
    all_images = torch.tensor(list(all_pixels), dtype=torch.float32).reshape(n + 512, 1, 28, 28) / 255.0
    images, labels = all_images[:n], all_labels[:n]

    model = SeedSmall().eval()  # eval: dropout is the identity
    # PyTorch's initial weights give logits below 0.2: too easy to match. 32 Adam steps on other
    # images give logits of several units and the gradients of a model part-way through training.
    warm = torch.optim.Adam(model.parameters(), lr=3e-3)
    for step in range(32):
        b = slice(n + 16 * step, n + 16 * (step + 1))
        warm.zero_grad()
        F.cross_entropy(model(all_images[b]), torch.tensor(all_labels[b])).backward()
        warm.step()
    model.zero_grad()
    names = ["conv1.kernel", "conv1.bias", "conv2.kernel", "conv2.bias",
             "dense1.kernel", "dense1.bias", "dense2.kernel", "dense2.bias"]
    params = [model.conv1.weight, model.conv1.bias, model.conv2.weight, model.conv2.bias,
              model.dense1.weight, model.dense1.bias, model.dense2.weight, model.dense2.bias]
    values = [ours(nm, p.detach()) for nm, p in zip(names, params)]

    logits = model(images)
    loss = F.cross_entropy(logits, torch.tensor(labels))
    loss.backward()
    grads = [ours(nm, p.grad) for nm, p in zip(names, params)]
    # One Keras Adam step (see the docstring for the epsilon).
    opt = torch.optim.Adam(params, lr=LR, betas=(BETA1, BETA2), eps=EPS / math.sqrt(1 - BETA2))
    opt.step()
    after = [ours(nm, p.detach()) for nm, p in zip(names, params)]

    out = bytearray(b"DCNNGOLD")
    u32 = lambda v: struct.pack("<I", v)
    f32s = lambda vs: struct.pack("<%df" % len(vs), *vs)
    out += u32(1)
    out += u32(len(SPEC)) + SPEC.encode()
    out += u32(n) + u32(28) + u32(28) + u32(1)
    out += f32s(images.flatten().tolist())  # one channel: NCHW and NHWC are the same bytes
    out += bytes(labels)
    out += u32(10) + f32s(logits.detach().flatten().tolist())
    out += struct.pack("<d", loss.item())
    out += struct.pack("<4d", LR, BETA1, BETA2, EPS)
    out += u32(len(names))
    for nm, v, g, a in zip(names, values, grads, after):
        out += u32(len(nm)) + nm.encode() + u32(len(v)) + f32s(v) + f32s(g) + f32s(a)
    with open(args.output, "wb") as f:
        f.write(out)
    print("wrote %s: %d bytes, %d parameters, loss %.6f, torch %s"
          % (args.output, len(out), sum(len(v) for v in values), loss.item(), torch.__version__))


if __name__ == "__main__":
    main()
