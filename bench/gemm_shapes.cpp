// digit-cnn-gemm-bench: GFLOP/s of cnn::gemm on the seed model's layer shapes, own kernel vs Eigen
// (minimum over 15 runs; per-task shapes of batch 8 for conv, the dense layers at batch 1 and 64).
//
//   digit-cnn-gemm-bench [own|eigen]
//
// The same file measures the browser's kernel under Node (V8 TurboFan; --no-liftoff so that the
// short run is not timed in the baseline compiler):
//   NODE_PATH=/usr/share/nodejs emcc -O3 -msimd128 -ffp-contract=off -std=c++17 -Icore/include
//       -Icore/src -I/usr/include/eigen3 bench/gemm_shapes.cpp core/src/kernels/gemm.cpp
//       core/src/kernels/gemm_simd4.cpp -o /tmp/gemm.js -s ENVIRONMENT=node -s ALLOW_MEMORY_GROWTH=1
//   node --no-experimental-fetch --no-liftoff /tmp/gemm.js own
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "cnn/kernels/gemm.hpp"
using namespace cnn;

namespace {
struct Shape {
    const char* name;
    Transpose ta, tb;
    int m, n, k;
    int ldb;  // 0: dense; the dense forward reads a 64-column block of the 128-unit kernel
};
}  // namespace

int main(int argc, char** argv) {
    const GemmKernel kernel = argc > 1 && argv[1][0] == 'e' ? GemmKernel::Eigen : GemmKernel::Own;
    const Transpose N = Transpose::No, T = Transpose::Yes;
    const Shape shapes[] = {
        {"conv1 fwd b1 ", N, N, 784, 32, 16, 0},    {"conv2 fwd b1 ", N, N, 196, 64, 128, 0},
        {"dense1 fwd b1", N, N, 1, 64, 3136, 128},  {"conv1 fwd b8 ", N, N, 6272, 32, 16, 0},
        {"conv2 fwd b8 ", N, N, 1568, 64, 128, 0},  {"conv1 dW  b8 ", T, N, 16, 32, 6272, 0},
        {"conv2 dW  b8 ", T, N, 128, 64, 1568, 0},  {"conv2 dX  b8 ", N, T, 1568, 128, 64, 0},
        {"dense1 fwd 64", N, N, 64, 64, 3136, 128}, {"dense1 dW 64 ", T, N, 512, 128, 64, 0},
        {"dense1 dX 64 ", N, T, 64, 512, 128, 0},
    };
    std::printf("kernel: %s\n", gemm_kernel_name(kernel));
    for (const Shape& s : shapes) {
        const int lda = s.ta == T ? s.m : s.k;
        const int ldb = s.ldb ? s.ldb : s.tb == T ? s.k : s.n;
        std::vector<float> a(std::size_t(s.m) * s.k, 0.5f), b(std::size_t(s.k) * std::max(ldb, s.n), 0.25f);
        std::vector<float> c(std::size_t(s.m) * s.n), bias(s.n, 0.1f);
        const double flop = 2.0 * s.m * s.n * s.k;
        const int reps = std::max(1, int(2e7 / flop));
        double best = 1e9;
        for (int r = 0; r < 15; ++r) {
            const auto t0 = std::chrono::steady_clock::now();
            for (int i = 0; i < reps; ++i)
                gemm(kernel, s.ta, s.tb, s.m, s.n, s.k, a.data(), lda, b.data(), ldb,
                     GemmOut::with_bias(c.data(), s.n, bias.data(), true));
            best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps);
        }
        std::printf("%s %4d x %4d x %4d  %8.2f us  %6.1f GFLOP/s\n", s.name, s.m, s.n, s.k, best * 1e6, flop / best * 1e-9);
    }
}
