#include "cnn/layers/relu.hpp"

#include <algorithm>

namespace cnn {

namespace {
// Runs fn(begin, end) over element ranges of whole sample chunks.
template <class Fn>
void for_sample_chunks(const Context& ctx, int n, std::size_t sample, Fn fn) {
    run_tasks(ctx, chunk_count(n, kSamplesPerTask), [&](int task) {
        const std::size_t s0 = std::size_t(task) * kSamplesPerTask;
        const std::size_t s1 = std::min<std::size_t>(n, s0 + kSamplesPerTask);
        fn(s0 * sample, s1 * sample);
    });
}
}  // namespace

void ReLU::forward(const Tensor& x, Tensor& y, const Context& ctx) {
    y.resize(x.n(), x.shape());
    const float* in = x.data();
    float* out = y.data();
    for_sample_chunks(ctx, x.n(), x.sample_size(), [=](std::size_t b, std::size_t e) {
        const float* __restrict src = in + b;
        float* __restrict dst = out + b;
        for (std::size_t i = 0; i < e - b; ++i) dst[i] = src[i] > 0.0f ? src[i] : 0.0f;
    });
}

void ReLU::backward(const Tensor& /*x*/, const Tensor& y, const Tensor& dy, Tensor* dx,
                    const Context& ctx) {
    if (!dx) return;
    dx->resize(y.n(), y.shape());
    const float* out = y.data();
    const float* g = dy.data();
    float* d = dx->data();
    for_sample_chunks(ctx, y.n(), y.sample_size(), [=](std::size_t b, std::size_t e) {
        const float* __restrict o = out + b;
        const float* __restrict gi = g + b;
        float* __restrict di = d + b;
        for (std::size_t i = 0; i < e - b; ++i) di[i] = o[i] > 0.0f ? gi[i] : 0.0f;
    });
}

}  // namespace cnn
