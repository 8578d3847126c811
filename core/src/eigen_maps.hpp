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

// Samples per task in batch-parallel kernels. Fixed, so results do not depend on thread count.
constexpr int kSamplesPerTask = 8;

}  // namespace cnn
