#include "cnn/layers/global_avg_pool.hpp"

#include <algorithm>

namespace cnn {

void GlobalAvgPool::forward(const Tensor& x, Tensor& y, const Context& ctx) {
    const int n = x.n(), c = x.shape().c;
    const std::size_t positions = std::size_t(x.shape().h) * std::size_t(x.shape().w);
    y.resize(n, output_shape(x.shape()));
    const float inv = 1.0f / float(positions);
    run_tasks(ctx, chunk_count(n, kSamplesPerTask), [&](int t) {
        for (int s = t * kSamplesPerTask; s < std::min(n, (t + 1) * kSamplesPerTask); ++s) {
            const float* in = x.sample(s);
            float* out = y.sample(s);
            std::fill(out, out + c, 0.0f);
            for (std::size_t p = 0; p < positions; ++p)
                for (int k = 0; k < c; ++k) out[k] += in[p * c + k];
            for (int k = 0; k < c; ++k) out[k] *= inv;
        }
    });
}

void GlobalAvgPool::backward(const Tensor& x, const Tensor& /*y*/, const Tensor& dy, Tensor* dx,
                             const Context& ctx) {
    if (!dx) return;
    const int n = x.n(), c = x.shape().c;
    const std::size_t positions = std::size_t(x.shape().h) * std::size_t(x.shape().w);
    dx->resize(n, x.shape());
    const float inv = 1.0f / float(positions);
    run_tasks(ctx, chunk_count(n, kSamplesPerTask), [&](int t) {
        for (int s = t * kSamplesPerTask; s < std::min(n, (t + 1) * kSamplesPerTask); ++s) {
            const float* d = dy.sample(s);
            float* out = dx->sample(s);
            for (std::size_t p = 0; p < positions; ++p)
                for (int k = 0; k < c; ++k) out[p * c + k] = d[k] * inv;
        }
    });
}

}  // namespace cnn
