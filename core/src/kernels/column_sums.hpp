// Column sums of a row-major buffer: the layers' bias gradients (private to core/src).
#pragma once

#include <cstddef>

namespace cnn {

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

}  // namespace cnn
