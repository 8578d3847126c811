// Otsu's threshold: the level that best splits a set of values into two classes (ink and paper).
#pragma once

#include <cstddef>

namespace cnn {

// Values are clamped to [0, 1] and binned into 256 levels. Returns the threshold t in [0, 1] that
// maximises the between-class variance of {v <= t} and {v > t}; 0.5 when all values are equal.
float otsu_threshold(const float* values, std::size_t n);

}  // namespace cnn
