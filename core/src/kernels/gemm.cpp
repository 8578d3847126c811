#include "cnn/kernels/gemm.hpp"

#include <Eigen/Core>

#include "kernels/gemm_simd4.hpp"

namespace cnn {

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstRowVectorMap = Eigen::Map<const Eigen::RowVectorXf>;
using Stride = Eigen::OuterStride<>;
using ConstStridedMap = Eigen::Map<const RowMatrix, 0, Stride>;
using StridedMap = Eigen::Map<RowMatrix, 0, Stride>;

// The layers' former Eigen expressions, unchanged (same results as before this interface).
template <class A, class B>
void eigen_product(const A& a, const B& b, int m, int n, const GemmOut& out) {
    StridedMap c(out.c, m, n, Stride(out.ldc));
    if (out.start == GemmOut::Start::Zero) {
        c.noalias() = a * b;
    } else {
        if (out.start == GemmOut::Start::Bias) c.rowwise() = ConstRowVectorMap(out.bias, n);
        c.noalias() += a * b;
    }
    if (out.relu) c = c.cwiseMax(0.0f);
}

void gemm_eigen(Transpose ta, Transpose tb, int m, int n, int k, const float* a, int lda, const float* b,
                int ldb, const GemmOut& out) {
    const bool a_t = ta == Transpose::Yes;
    const bool b_t = tb == Transpose::Yes;
    const ConstStridedMap am(a, a_t ? k : m, a_t ? m : k, Stride(lda));
    const ConstStridedMap bm(b, b_t ? n : k, b_t ? k : n, Stride(ldb));
    if (!a_t && !b_t) eigen_product(am, bm, m, n, out);
    if (a_t && !b_t) eigen_product(am.transpose(), bm, m, n, out);
    if (!a_t && b_t) eigen_product(am, bm.transpose(), m, n, out);
    if (a_t && b_t) eigen_product(am.transpose(), bm.transpose(), m, n, out);
}

}  // namespace

GemmKernel default_gemm_kernel() {
#if defined(__EMSCRIPTEN__) || defined(CNN_OWN_GEMM)
    return GemmKernel::Own;
#else
    return GemmKernel::Eigen;
#endif
}

const char* gemm_kernel_name(GemmKernel kernel) { return kernel == GemmKernel::Own ? "own simd4" : "eigen"; }

void gemm(GemmKernel kernel, Transpose ta, Transpose tb, int m, int n, int k, const float* a, int lda,
          const float* b, int ldb, const GemmOut& out) {
    if (kernel == GemmKernel::Own)
        gemm_simd4(ta, tb, m, n, k, a, lda, b, ldb, out);
    else
        gemm_eigen(ta, tb, m, n, k, a, lda, b, ldb, out);
}

}  // namespace cnn
