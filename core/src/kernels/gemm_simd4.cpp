// Register-blocked GEMM on 4-float SIMD registers (see cnn/kernels/gemm.hpp for the contract).
//
// Blocking, from the outside in:
//   k blocks of kKc      C is stored (as float) between blocks and reloaded into the accumulators,
//                        so the sum order per element is still k = 0, 1, 2, ... (bit-identical to
//                        the plain loop); a block of B and a strip of A stay in L1.
//   column chunks of 32  B for this k block and these columns: read in place when B is k x n and
//                        the chunk is a whole number of 8-column tiles, else packed (transposed,
//                        zero-padded to 8 columns) into a 16 KB stack buffer.
//   rows in strips of 4  4 x 8 tiles: 8 accumulator registers, 2 loads of B and 4 broadcasts of A
//                        per k. V8 uses 16 xmm registers, so this leaves room for operands.
//   leftover rows        1-3 rows: 2 x 16 and 1 x 32 tiles, still 8 independent accumulators (a
//                        1 x 8 tile would wait on add latency; batch-1 inference has m = 1).
// A is never packed: a tile reads its rows in place (broadcast loads), whether A is m x k or k x m.
// Columns that do not fill a tile (n not a multiple of 8) go through a small local tile, with the
// same operations in the same order as a full one.
#include <algorithm>
#include <cstddef>

#include "kernels/gemm_simd4.hpp"
#include "kernels/simd4.hpp"

namespace cnn {

namespace {

using namespace simd4;
using Start = GemmOut::Start;
using Index = std::ptrdiff_t;

constexpr int kKc = 128;    // k per block
constexpr int kChunk = 32;  // columns of B per chunk
constexpr int kTile = 8;    // columns of the narrow tile

// What a tile's accumulators start from: nothing, or rows of `init` (C itself for Existing or a
// later k block, the bias with row step 0 for Bias).
struct TileStart {
    bool zero;
    const float* init;
    Index init_ld;
};

// One MR x (4 NV) tile: acc = start; for each k: acc += a(i, k) * b(k, j); optional ReLU; store.
// A_T: a(i, k) = a[k * lda + i], else a[i * lda + k]. b(k, j) = b[k * ldb + j].
// Not inlined: V8 allocates registers per function, and with the tiles inlined into their callers
// the 4 x 8 tile spills its accumulators (figures: bench/RESULTS.md, "Kernel choices").
template <int MR, int NV, bool A_T>
__attribute__((noinline)) void tile(int kc, const float* a, Index lda, const float* b, Index ldb, float* c, Index ldc,
                 TileStart s, bool relu_out) {
    f32x4 acc[MR][NV];
#pragma GCC unroll 4
    for (int r = 0; r < MR; ++r)
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) acc[r][v] = s.zero ? zero() : load(s.init + r * s.init_ld + 4 * v);
    // Pointers step through k: no multiplies in the loop.
    const Index a_step = A_T ? lda : 1;
    const Index a_row = A_T ? 1 : lda;
    // Not unrolled: V8 keeps this loop in registers as written, while the 4x unrolled one spills
    // accumulators (figures: bench/RESULTS.md, "Kernel choices").
#pragma GCC unroll 1
    for (int k = 0; k < kc; ++k, a += a_step, b += ldb) {
        f32x4 bv[NV];
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) bv[v] = load(b + 4 * v);
#pragma GCC unroll 4
        for (int r = 0; r < MR; ++r) {
            const f32x4 ar = broadcast(a + r * a_row);
#pragma GCC unroll 8
            for (int v = 0; v < NV; ++v) acc[r][v] = mul_add(acc[r][v], ar, bv[v]);
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < MR; ++r)
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) store(c + r * ldc + 4 * v, relu_out ? relu(acc[r][v]) : acc[r][v]);
}

// Everything one call needs besides the current row strip.
struct Block {
    int kc;
    const float* a;  // A at the current k block, row 0
    Index lda;
    const float* b;  // B chunk at the current k block, column 0 of the chunk
    Index ldb;
    int cols;        // valid columns in the chunk
    float* c;        // C at row 0, column 0 of the chunk
    Index ldc;
    Start start;
    const float* bias;  // at column 0 of the chunk
    bool relu;
};

template <bool A_T>
const float* row_ptr(const Block& k, int i) {
    return A_T ? k.a + i : k.a + i * k.lda;
}

template <int MR, int NV, bool A_T>
void run_tile(const Block& k, int i, int j) {
    float* c = k.c + i * k.ldc + j;
    const TileStart s = k.start == Start::Zero   ? TileStart{true, nullptr, 0}
                        : k.start == Start::Bias ? TileStart{false, k.bias + j, 0}
                                                 : TileStart{false, c, k.ldc};
    tile<MR, NV, A_T>(k.kc, row_ptr<A_T>(k, i), k.lda, k.b + j, k.ldb, c, k.ldc, s, k.relu);
}

// The last columns of a chunk, fewer than 8 (B is packed and zero-padded there): a local MR x 8
// tile, then the valid columns copied out.
template <int MR, bool A_T>
void run_partial_tile(const Block& k, int i, int j) {
    const int valid = k.cols - j;
    alignas(16) float t[MR * kTile] = {};
    alignas(16) float bias[kTile] = {};
    float* c = k.c + i * k.ldc + j;
    TileStart s{k.start == Start::Zero, t, kTile};
    if (k.start == Start::Existing)
        for (int r = 0; r < MR; ++r) std::copy(c + r * k.ldc, c + r * k.ldc + valid, t + r * kTile);
    if (k.start == Start::Bias) {
        std::copy(k.bias + j, k.bias + j + valid, bias);
        s = {false, bias, 0};
    }
    tile<MR, 2, A_T>(k.kc, row_ptr<A_T>(k, i), k.lda, k.b + j, k.ldb, t, kTile, s, k.relu);
    for (int r = 0; r < MR; ++r) std::copy(t + r * kTile, t + r * kTile + valid, c + r * k.ldc);
}

// MR rows starting at row i, across the chunk: MR x 4NV tiles, then MR x 8, then a partial tile.
template <int MR, int NV, bool A_T>
void row_strip(const Block& k, int i) {
    int j = 0;
    for (; j + 4 * NV <= k.cols; j += 4 * NV) run_tile<MR, NV, A_T>(k, i, j);
    for (; j + kTile <= k.cols; j += kTile) run_tile<MR, 2, A_T>(k, i, j);
    if (j < k.cols) run_partial_tile<MR, A_T>(k, i, j);
}

template <bool A_T>
void all_rows(const Block& k, int m) {
    int i = 0;
    for (; i + 4 <= m; i += 4) row_strip<4, 2, A_T>(k, i);
    if (m - i >= 2) {
        row_strip<2, 4, A_T>(k, i);
        i += 2;
    }
    if (i < m) row_strip<1, 8, A_T>(k, i);
}

// B(k0 + kk, j0 + j) for kk < kc, j < cols into packed[kk * kChunk + j], zero up to 8 columns.
void pack_b(bool b_t, const float* b, Index ldb, int k0, int kc, int j0, int cols, float* packed) {
    const int padded = (cols + kTile - 1) / kTile * kTile;
    for (int kk = 0; kk < kc; ++kk) {
        float* row = packed + kk * kChunk;
        if (b_t) {
            for (int j = 0; j < cols; ++j) row[j] = b[(j0 + j) * ldb + k0 + kk];
        } else {
            std::copy(b + (k0 + kk) * ldb + j0, b + (k0 + kk) * ldb + j0 + cols, row);
        }
        std::fill(row + cols, row + padded, 0.0f);
    }
}

}  // namespace

void gemm_simd4(Transpose ta, Transpose tb, int m, int n, int k, const float* a, int lda, const float* b,
                int ldb, const GemmOut& out) {
    if (m <= 0 || n <= 0) return;
    const bool a_t = ta == Transpose::Yes;
    const bool b_t = tb == Transpose::Yes;
    alignas(16) float packed[kKc * kChunk];
    // k == 0 still runs one (empty) block: C gets its start value and the ReLU.
    for (int k0 = 0; k0 == 0 || k0 < k; k0 += kKc) {
        const int kc = std::min(kKc, k - k0);
        const bool first = k0 == 0;
        const bool last = k0 + kc >= k;
        for (int j0 = 0; j0 < n; j0 += kChunk) {
            Block blk;
            blk.kc = kc;
            blk.a = a_t ? a + Index(k0) * lda : a + k0;
            blk.lda = lda;
            blk.cols = std::min(kChunk, n - j0);
            if (!b_t && blk.cols % kTile == 0) {
                blk.b = b + Index(k0) * ldb + j0;
                blk.ldb = ldb;
            } else {
                pack_b(b_t, b, ldb, k0, kc, j0, blk.cols, packed);
                blk.b = packed;
                blk.ldb = kChunk;
            }
            blk.c = out.c + j0;
            blk.ldc = out.ldc;
            blk.start = first ? out.start : Start::Existing;
            blk.bias = out.bias ? out.bias + j0 : nullptr;
            blk.relu = last && out.relu;
            if (a_t)
                all_rows<true>(blk, m);
            else
                all_rows<false>(blk, m);
        }
    }
}

}  // namespace cnn
