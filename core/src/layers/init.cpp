#include "layers/init.hpp"

#include <cmath>

#include "cnn/base/rng.hpp"

namespace cnn {

void glorot_uniform(float* w, std::size_t count, int fan_in, int fan_out, Rng& rng) {
    const float limit = std::sqrt(6.0f / float(fan_in + fan_out));
    for (std::size_t i = 0; i < count; ++i) w[i] = rng.uniform(-limit, limit);
}

}  // namespace cnn
