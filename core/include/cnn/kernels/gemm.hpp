// cnn/kernels/: the matrix products under the conv and dense layers (this file); Eigen natively,
// our own 4-float SIMD kernel in the browser build (core/src/kernels/).
//
// Single-precision matrix products for the conv and dense layers: C (m x n) from op(A) op(B), all
// row-major with leading dimensions (element (i, j) of C is c[i * ldc + j]).
//
// Two implementations behind one interface:
//   GemmKernel::Own    register-blocked 4-float SIMD kernel (gemm_simd4.cpp): wasm_simd128 in the
//                      browser, where Eigen 3.4 has no SIMD backend and its GEMM is scalar code;
//                      GCC/Clang vector extensions natively, so the native tests run the same code.
//   GemmKernel::Eigen  Eigen's GEMM: with AVX-512 natively it is faster than a 4-wide kernel.
// The layers call gemm_nn / gemm_tn / gemm_nt, which use default_gemm_kernel().
#pragma once

namespace cnn {

// Where a product goes, what it is added to, and the fused epilogue.
struct GemmOut {
    enum class Start {
        Zero,      // C = op(A) op(B)
        Existing,  // C += op(A) op(B)
        Bias,      // every row of C starts from bias (n values): C = 1 bias + op(A) op(B)
    };
    float* c = nullptr;
    int ldc = 0;
    Start start = Start::Zero;
    const float* bias = nullptr;  // for Start::Bias
    bool relu = false;            // C = max(C, 0) after the sum (the layers' fused ReLU)

    static GemmOut assign(float* c, int ldc) { return {c, ldc, Start::Zero, nullptr, false}; }
    static GemmOut accumulate(float* c, int ldc) { return {c, ldc, Start::Existing, nullptr, false}; }
    static GemmOut with_bias(float* c, int ldc, const float* bias, bool relu) {
        return {c, ldc, Start::Bias, bias, relu};
    }
};

enum class GemmKernel { Own, Eigen };
enum class Transpose : bool { No, Yes };

// Own under Emscripten, or natively when built with -DCNN_OWN_GEMM=ON; Eigen otherwise.
GemmKernel default_gemm_kernel();
const char* gemm_kernel_name(GemmKernel kernel);

// C (m x n) from op(A) (m x k) and op(B) (k x n). A is stored m x k (lda >= k), or k x m (lda >= m)
// when transposed; likewise B is k x n (ldb >= n) or n x k (ldb >= k). C must not overlap A or B.
// Own kernel: every element is start + sum over k in increasing k, each product rounded and then
// added (no FMA), so it is bit-identical to the plain loop, whatever the sizes, leading dimensions,
// buffer addresses or thread count.
void gemm(GemmKernel kernel, Transpose ta, Transpose tb, int m, int n, int k, const float* a, int lda,
          const float* b, int ldb, const GemmOut& out);

// One row of C (n values, at out.c) from a row vector and listed rows of B: c = start +
// sum over i < count of x[i] * B[rows[i], :] (B row-major, ldb >= n), in increasing i, each product
// rounded and then added, like the own kernel. With rows = the non-zero inputs of one sample it is
// that sample's dense layer, skipping exact zeros. 4-float SIMD in every build.
void gemv_rows(int n, int count, const float* x, const int* rows, const float* b, int ldb, const GemmOut& out);

// The three forms the layers use, with the default kernel.
// C = A B: A is m x k, B is k x n.
inline void gemm_nn(int m, int n, int k, const float* a, int lda, const float* b, int ldb, const GemmOut& out) {
    gemm(default_gemm_kernel(), Transpose::No, Transpose::No, m, n, k, a, lda, b, ldb, out);
}
// C = A^T B: A is stored k x m, B is k x n (weight gradients).
inline void gemm_tn(int m, int n, int k, const float* a, int lda, const float* b, int ldb, const GemmOut& out) {
    gemm(default_gemm_kernel(), Transpose::Yes, Transpose::No, m, n, k, a, lda, b, ldb, out);
}
// C = A B^T: A is m x k, B is stored n x k (input gradients).
inline void gemm_nt(int m, int n, int k, const float* a, int lda, const float* b, int ldb, const GemmOut& out) {
    gemm(default_gemm_kernel(), Transpose::No, Transpose::Yes, m, n, k, a, lda, b, ldb, out);
}

}  // namespace cnn
