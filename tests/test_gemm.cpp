// The GEMM behind the conv and dense layers (cnn/kernels/gemm.hpp). The own kernel is the browser's
// (compiled natively with vector extensions instead of wasm_simd128, same operations): it must be
// bit-identical to the plain float loop for every edge size, transpose, start mode and leading
// dimension, and must not depend on buffer addresses. Eigen's kernel only has to be close.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "cnn/base/rng.hpp"
#include "cnn/kernels/gemm.hpp"
#include "test_util.hpp"

using namespace cnn;

namespace {

using Start = GemmOut::Start;

const float kGuard = std::numeric_limits<float>::quiet_NaN();

// A rows x cols matrix stored with leading dimension ld >= cols; the padding holds NaN, so a kernel
// that reads it produces NaN, and one that writes it is caught by guards_intact().
struct Stored {
    int rows, cols, ld;
    std::vector<float> v;
    Stored(int r, int c, int pad, Rng& rng) : rows(r), cols(c), ld(c + pad), v(std::size_t(r) * (c + pad), kGuard) {
        for (int i = 0; i < r; ++i)
            for (int j = 0; j < c; ++j) v[std::size_t(i) * ld + j] = rng.uniform(-1.0f, 1.0f);
    }
    float at(int i, int j) const { return v[std::size_t(i) * ld + j]; }
    bool guards_intact() const {
        for (int i = 0; i < rows; ++i)
            for (int j = cols; j < ld; ++j)
                if (!std::isnan(v[std::size_t(i) * ld + j])) return false;
        return true;
    }
};

// The contract written as the plain loop, in float: start, then products added in increasing k.
std::vector<float> reference(Transpose ta, Transpose tb, int m, int n, int k, const Stored& a, const Stored& b,
                             const Stored& c0, Start start, const std::vector<float>& bias, bool relu) {
    std::vector<float> c(std::size_t(m) * n);
    for (int i = 0; i < m; ++i)
        for (int j = 0; j < n; ++j) {
            float acc = start == Start::Zero ? 0.0f : start == Start::Bias ? bias[j] : c0.at(i, j);
            for (int p = 0; p < k; ++p) {
                const float x = ta == Transpose::Yes ? a.at(p, i) : a.at(i, p);
                const float y = tb == Transpose::Yes ? b.at(j, p) : b.at(p, j);
                const float prod = x * y;
                acc = acc + prod;
            }
            c[std::size_t(i) * n + j] = relu ? (0.0f < acc ? acc : 0.0f) : acc;
        }
    return c;
}

struct Case {
    Transpose ta, tb;
    int m, n, k;
    Start start;
    bool relu;
    int pad;  // extra leading-dimension elements of A, B and C
};

std::string describe(const Case& t) {
    return std::string(t.ta == Transpose::Yes ? "T" : "N") + (t.tb == Transpose::Yes ? "T" : "N") +
           " m=" + std::to_string(t.m) + " n=" + std::to_string(t.n) + " k=" + std::to_string(t.k) +
           " start=" + std::to_string(int(t.start)) + " relu=" + std::to_string(t.relu) +
           " pad=" + std::to_string(t.pad);
}

// Runs one case on `kernel`; returns C (m x n, dense) and checks that C's padding is untouched.
std::vector<float> run(GemmKernel kernel, const Case& t, const Stored& a, const Stored& b, Stored& c,
                       const std::vector<float>& bias) {
    GemmOut out{c.v.data(), c.ld, t.start, t.start == Start::Bias ? bias.data() : nullptr, t.relu};
    gemm(kernel, t.ta, t.tb, t.m, t.n, t.k, a.v.data(), a.ld, b.v.data(), b.ld, out);
    REQUIRE(c.guards_intact());
    std::vector<float> dense(std::size_t(t.m) * t.n);
    for (int i = 0; i < t.m; ++i)
        for (int j = 0; j < t.n; ++j) dense[std::size_t(i) * t.n + j] = c.at(i, j);
    return dense;
}

// Own kernel: bit-identical to the reference; Eigen: within float reordering of it.
void check_case(const Case& t, std::uint64_t seed) {
    INFO(describe(t));
    Rng rng(seed);
    const Stored a = t.ta == Transpose::Yes ? Stored(t.k, t.m, t.pad, rng) : Stored(t.m, t.k, t.pad, rng);
    const Stored b = t.tb == Transpose::Yes ? Stored(t.n, t.k, t.pad, rng) : Stored(t.k, t.n, t.pad, rng);
    const Stored c0(t.m, t.n, t.pad, rng);
    std::vector<float> bias(t.n);
    for (float& x : bias) x = rng.uniform(-1.0f, 1.0f);
    const std::vector<float> want = reference(t.ta, t.tb, t.m, t.n, t.k, a, b, c0, t.start, bias, t.relu);

    Stored c = c0;
    const std::vector<float> own = run(GemmKernel::Own, t, a, b, c, bias);
    REQUIRE(std::memcmp(own.data(), want.data(), want.size() * sizeof(float)) == 0);

    Stored ce = c0;
    const std::vector<float> eig = run(GemmKernel::Eigen, t, a, b, ce, bias);
    for (std::size_t i = 0; i < want.size(); ++i) {
        INFO("element " << i);
        // |terms| <= 1: reordering k + 1 roundings stays well inside this.
        REQUIRE(eig[i] == Approx(want[i]).margin(1e-6 * (t.k + 2)));
    }
}

const Transpose kT[] = {Transpose::No, Transpose::Yes};

}  // namespace

TEST_CASE("own GEMM equals the plain loop bit for bit at edge sizes, all transposes") {
    // 1, 3, 7: below one tile; 64: whole tiles; 65, 127: leftovers of 1 and 3 rows / 1 and 7 columns.
    const int sizes[] = {1, 3, 7, 64, 65, 127};
    std::uint64_t seed = 1;
    for (Transpose ta : kT)
        for (Transpose tb : kT)
            for (int m : sizes)
                for (int n : sizes)
                    for (int k : sizes) check_case({ta, tb, m, n, k, Start::Zero, false, 0}, seed++);
}

TEST_CASE("own GEMM: accumulate, bias start and fused ReLU, with leading dimensions") {
    const int sizes[] = {1, 2, 5, 8, 33, 65};
    const Start starts[] = {Start::Zero, Start::Existing, Start::Bias};
    std::uint64_t seed = 1000;
    for (Transpose ta : kT)
        for (Transpose tb : kT)
            for (int m : sizes)
                for (int n : sizes)
                    for (Start start : starts)
                        for (bool relu : {false, true})
                            check_case({ta, tb, m, n, 19, start, relu, int(seed % 3) * 5}, seed++);
}

TEST_CASE("own GEMM: k across several k blocks, and k = 0") {
    std::uint64_t seed = 5000;
    for (Transpose ta : kT)
        for (Transpose tb : kT)
            for (int k : {0, 128, 129, 300, 1000})
                for (Start start : {Start::Existing, Start::Bias})
                    check_case({ta, tb, 6, 41, k, start, true, 3}, seed++);
}

TEST_CASE("own GEMM: the layers' shapes") {
    std::uint64_t seed = 9000;
    // Seed model, batch 8 per task: conv1 and conv2 forward, weight and input gradients; dense1
    // and dense2 at batch 1 and 64.
    const Case cases[] = {
        {Transpose::No, Transpose::No, 6272, 32, 16, Start::Bias, true, 0},
        {Transpose::No, Transpose::No, 1568, 64, 128, Start::Bias, true, 0},
        {Transpose::Yes, Transpose::No, 16, 32, 6272, Start::Zero, false, 0},
        {Transpose::Yes, Transpose::No, 128, 64, 1568, Start::Zero, false, 0},
        {Transpose::No, Transpose::Yes, 1568, 128, 64, Start::Zero, false, 0},
        {Transpose::No, Transpose::No, 1, 64, 3136, Start::Bias, true, 64},
        {Transpose::No, Transpose::No, 64, 64, 3136, Start::Bias, true, 64},
        {Transpose::No, Transpose::No, 1, 10, 128, Start::Bias, false, 0},
        {Transpose::Yes, Transpose::No, 512, 128, 64, Start::Zero, false, 2624},
        {Transpose::No, Transpose::Yes, 64, 512, 128, Start::Zero, false, 2624},
    };
    for (const Case& t : cases) check_case(t, seed++);
}

TEST_CASE("own GEMM result does not depend on buffer addresses") {
    // The same matrices at every offset modulo 16 bytes (and beyond): identical bits.
    const int m = 37, n = 29, k = 150;
    Rng rng(77);
    std::vector<float> a(std::size_t(m) * k), b(std::size_t(k) * n), bias(n);
    for (float& x : a) x = rng.uniform(-1.0f, 1.0f);
    for (float& x : b) x = rng.uniform(-1.0f, 1.0f);
    for (float& x : bias) x = rng.uniform(-1.0f, 1.0f);
    std::vector<float> first;
    for (int offset = 0; offset < 8; ++offset) {
        INFO("offset " << offset << " floats");
        std::vector<float> abuf(a.size() + 8), bbuf(b.size() + 8), cbuf(std::size_t(m) * n + 8);
        std::copy(a.begin(), a.end(), abuf.begin() + offset);
        std::copy(b.begin(), b.end(), bbuf.begin() + offset);
        float* c = cbuf.data() + (7 - offset);
        gemm(GemmKernel::Own, Transpose::No, Transpose::No, m, n, k, abuf.data() + offset, k, bbuf.data() + offset,
             n, GemmOut::with_bias(c, n, bias.data(), true));
        std::vector<float> got(c, c + std::size_t(m) * n);
        if (offset == 0)
            first = got;
        else
            REQUIRE(std::memcmp(got.data(), first.data(), got.size() * sizeof(float)) == 0);
    }
}

TEST_CASE("row-gathered GEMV matches the plain loop bit for bit") {
    // gemv_rows: c = start + sum over the listed rows of B, in list order. Every panel width (32, 8,
    // 4, single columns), lists shorter and longer than a block of rows, and an empty list.
    std::uint64_t seed = 12000;
    for (int n : {1, 3, 4, 7, 8, 12, 31, 32, 33, 45, 128})
        for (int count : {0, 1, 5, 64, 65, 200})
            for (Start start : {Start::Zero, Start::Existing, Start::Bias})
                for (bool relu : {false, true}) {
                    INFO("n=" << n << " count=" << count << " start=" << int(start) << " relu=" << relu);
                    Rng rng(seed++);
                    const int k = 300, pad = 3;
                    const Stored b(k, n, pad, rng);
                    std::vector<float> x(count), bias(n);
                    std::vector<int> rows(count);
                    for (int i = 0; i < count; ++i) {
                        x[i] = rng.uniform(-1.0f, 1.0f);
                        rows[i] = int(rng.uniform(0.0f, float(k) - 0.5f));  // any order, repeats allowed
                    }
                    for (float& v : bias) v = rng.uniform(-1.0f, 1.0f);
                    std::vector<float> c0(n + 4, kGuard);
                    for (int j = 0; j < n; ++j) c0[j] = rng.uniform(-1.0f, 1.0f);
                    std::vector<float> want(n);
                    for (int j = 0; j < n; ++j) {
                        float acc = start == Start::Zero ? 0.0f : start == Start::Bias ? bias[j] : c0[j];
                        for (int i = 0; i < count; ++i) {
                            const float prod = x[i] * b.at(rows[i], j);
                            acc = acc + prod;
                        }
                        want[j] = relu ? (0.0f < acc ? acc : 0.0f) : acc;
                    }
                    std::vector<float> c = c0;
                    gemv_rows(n, count, x.data(), rows.data(), b.v.data(), b.ld,
                              GemmOut{c.data(), n, start, start == Start::Bias ? bias.data() : nullptr, relu});
                    REQUIRE(std::memcmp(c.data(), want.data(), sizeof(float) * n) == 0);
                    for (int j = n; j < n + 4; ++j) REQUIRE(std::isnan(c[j]));  // nothing past n written
                }
}

TEST_CASE("the layers use the GEMM kernel this build selects") {
    // Under -DCNN_OWN_GEMM=ON (scripts/test.sh, preset native-own-gemm) the layer and training
    // tests must run the browser's kernel, or their exact-bits checks would test Eigen instead.
    const GemmKernel expected = CNN_EXPECT_OWN_GEMM ? GemmKernel::Own : GemmKernel::Eigen;
    CHECK(std::string(gemm_kernel_name(default_gemm_kernel())) == gemm_kernel_name(expected));
}
