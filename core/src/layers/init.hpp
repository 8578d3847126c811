// Parameter initialisation shared by the layers (private to core/src).
#pragma once

#include <cstddef>

namespace cnn {

class Rng;

// Glorot-uniform initialisation (Keras default for kernels).
void glorot_uniform(float* w, std::size_t count, int fan_in, int fan_out, Rng& rng);

}  // namespace cnn
