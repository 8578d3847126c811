// Row-gathered matrix-vector product (see cnn/kernels/gemm.hpp): one sample's dense layer at inference,
// over the inputs that are not zero. The listed rows go in blocks that stay in cache while every
// column panel of them is done; each panel keeps its columns in 8 accumulators. The block and
// panel sizes were chosen by measurement (bench/RESULTS.md, "Kernel choices").
#include <algorithm>
#include <cstddef>

#include "cnn/kernels/gemm.hpp"
#include "kernels/simd4.hpp"

namespace cnn {

namespace {

using namespace simd4;
using Start = GemmOut::Start;

constexpr int kRowBlock = 64;

// What a panel starts from and how it ends, for one block of rows.
struct Pass {
    const float* init;  // start values at the panel's column 0, or null for zeros
    bool relu;          // apply the ReLU (last block only)
};

// Columns [0, 4 NV) of c: start, then for each listed row in order += x[i] * row[i][0..].
template <int NV>
__attribute__((noinline)) void panel(int count, const float* x, const int* rows, const float* b, int ldb,
                                     float* c, Pass p) {
    f32x4 acc[NV];
    for (int v = 0; v < NV; ++v) acc[v] = p.init ? load(p.init + 4 * v) : zero();
#pragma GCC unroll 1
    for (int i = 0; i < count; ++i) {
        const f32x4 xi = broadcast(x + i);
        const float* row = b + std::ptrdiff_t(rows[i]) * ldb;
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) acc[v] = mul_add(acc[v], xi, load(row + 4 * v));
    }
    for (int v = 0; v < NV; ++v) store(c + 4 * v, p.relu ? relu(acc[v]) : acc[v]);
}

// The last 1-3 columns: the same operations, one lane at a time.
void column(int count, const float* x, const int* rows, const float* b, int ldb, float* c, Pass p) {
    float acc = p.init ? *p.init : 0.0f;
    for (int i = 0; i < count; ++i) {
        const float product = x[i] * b[std::ptrdiff_t(rows[i]) * ldb];
        acc += product;
    }
    *c = p.relu ? (0.0f < acc ? acc : 0.0f) : acc;
}

}  // namespace

void gemv_rows(int n, int count, const float* x, const int* rows, const float* b, int ldb, const GemmOut& out) {
    // count == 0 still runs one (empty) block: c gets its start value and the ReLU.
    for (int i0 = 0; i0 == 0 || i0 < count; i0 += kRowBlock) {
        const int kc = std::min(kRowBlock, count - i0);
        const bool first = i0 == 0;
        const bool last = i0 + kc >= count;
        const float* xi = x + i0;
        const int* ri = rows + i0;
        const auto pass = [&](int j) {
            const float* init = !first                     ? out.c + j
                                : out.start == Start::Bias ? out.bias + j
                                : out.start == Start::Zero ? nullptr
                                                           : out.c + j;
            return Pass{init, last && out.relu};
        };
        int j = 0;
        for (; j + 32 <= n; j += 32) panel<8>(kc, xi, ri, b + j, ldb, out.c + j, pass(j));
        for (; j + 8 <= n; j += 8) panel<2>(kc, xi, ri, b + j, ldb, out.c + j, pass(j));
        for (; j + 4 <= n; j += 4) panel<1>(kc, xi, ri, b + j, ldb, out.c + j, pass(j));
        for (; j < n; ++j) column(kc, xi, ri, b + j, ldb, out.c + j, pass(j));
    }
}

}  // namespace cnn
