// Row-major Eigen views over raw buffers, shared by the layer kernels (private to core/src).
#pragma once

#include <Eigen/Core>

namespace cnn {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<RowMatrix>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;
using RowVectorMap = Eigen::Map<Eigen::RowVectorXf>;
using ConstRowVectorMap = Eigen::Map<const Eigen::RowVectorXf>;

// Glorot-uniform initialisation (Keras default for kernels).
class Rng;
void glorot_uniform(float* w, std::size_t count, int fan_in, int fan_out, Rng& rng);

// Column sums of a row-major rows x cols buffer into out (assigned). A plain row-by-row loop, not
// Eigen's colwise().sum(): Eigen's vectorised reduction peels by the buffer's address, so its
// rounding would depend on where the allocator put the buffer.
inline void column_sums(const float* data, int rows, int cols, float* out) {
    for (int c = 0; c < cols; ++c) out[c] = 0.0f;
    for (int r = 0; r < rows; ++r) {
        const float* row = data + std::size_t(r) * cols;
        for (int c = 0; c < cols; ++c) out[c] += row[c];
    }
}

// Samples per task in batch-parallel kernels. Fixed, so results do not depend on thread count.
constexpr int kSamplesPerTask = 8;

}  // namespace cnn
