// Seeded random numbers, identical on every platform (native and wasm): the standard library's
// distributions are implementation-defined, so we derive floats from raw bits ourselves.
#pragma once

#include <cstdint>

namespace cnn {

// xoshiro256** seeded through splitmix64.
class Rng {
public:
    explicit Rng(std::uint64_t seed = 0) { reseed(seed); }

    void reseed(std::uint64_t seed);
    std::uint64_t next_u64();
    // Uniform in [0, 1) with 24 bits of precision.
    float uniform() { return float(next_u64() >> 40) * (1.0f / 16777216.0f); }
    // Uniform in [lo, hi).
    float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
    // Uniform integer in [0, n) (n > 0), without modulo bias.
    std::uint64_t below(std::uint64_t n);
    // Standard normal (Box-Muller).
    float normal();

    // The full generator state, for checkpoints that resume exactly.
    struct State {
        std::uint64_t s[4];
    };
    State state() const { return {{s_[0], s_[1], s_[2], s_[3]}}; }
    void set_state(const State& st) {
        for (int i = 0; i < 4; ++i) s_[i] = st.s[i];
    }

private:
    std::uint64_t s_[4] = {0, 0, 0, 0};
};

}  // namespace cnn
