// The own GEMM kernel (gemm_simd4.cpp), reached through cnn::gemm (private to core/src).
#pragma once

#include "cnn/kernels/gemm.hpp"

namespace cnn {

void gemm_simd4(Transpose ta, Transpose tb, int m, int n, int k, const float* a, int lda, const float* b,
                int ldb, const GemmOut& out);

}  // namespace cnn
