#include "cnn/layers/batchnorm.hpp"

#include <algorithm>
#include <cmath>

#include "cnn/base/error.hpp"
#include "cnn/base/float_text.hpp"

namespace cnn {

namespace {
// Rows [r0, r1) of the n * rows_per_sample rows handled by task t (kSamplesPerTask samples each).
struct RowRange {
    std::size_t r0, r1;
};
RowRange task_rows(int t, int n, std::size_t rows_per_sample) {
    const int s1 = std::min(n, (t + 1) * kSamplesPerTask);
    return {std::size_t(t) * kSamplesPerTask * rows_per_sample, std::size_t(s1) * rows_per_sample};
}

// Per-channel sums of two quantities, add(row, a, b) accumulating row `row` into a[c] and b[c].
// Each task sums its own chunk in double; chunks are reduced in order, so the result is the same
// for any thread count. out: a (channels) then b (channels).
template <class Add>
void channel_sums(const Context& ctx, int n, std::size_t rows_per_sample, std::size_t channels,
                  std::vector<double>& partial, std::vector<double>& out, Add add) {
    const int tasks = chunk_count(n, kSamplesPerTask);
    const std::size_t stride = 2 * channels;
    partial.assign(std::size_t(tasks) * stride, 0.0);
    run_tasks(ctx, tasks, [&](int t) {
        double* a = partial.data() + std::size_t(t) * stride;
        const RowRange r = task_rows(t, n, rows_per_sample);
        for (std::size_t row = r.r0; row < r.r1; ++row) add(row, a, a + channels);
    });
    out.assign(stride, 0.0);
    for (int t = 0; t < tasks; ++t)
        for (std::size_t i = 0; i < stride; ++i) out[i] += partial[std::size_t(t) * stride + i];
}
}  // namespace

void batchnorm_forward_reference(int rows, int channels, const float* x, const float* gamma,
                                 const float* beta, float* y, float* mean, float* var) {
    for (int c = 0; c < channels; ++c) {
        double m = 0, v = 0;
        for (int r = 0; r < rows; ++r) m += x[std::size_t(r) * channels + c];
        m /= rows;
        for (int r = 0; r < rows; ++r) {
            const double d = x[std::size_t(r) * channels + c] - m;
            v += d * d;
        }
        v /= rows;
        mean[c] = float(m);
        var[c] = float(v);
        for (int r = 0; r < rows; ++r) {
            const std::size_t i = std::size_t(r) * channels + c;
            y[i] = float(gamma[c] * (x[i] - m) / std::sqrt(v + BatchNorm::kEpsilon) + beta[c]);
        }
    }
}

void batchnorm_backward_reference(int rows, int channels, const float* x, const float* gamma,
                                  const float* dy, float* dx, float* dgamma, float* dbeta) {
    std::vector<float> y(std::size_t(rows) * channels), mean(channels), var(channels), zero(channels, 0.0f);
    std::vector<float> ones(channels, 1.0f);
    batchnorm_forward_reference(rows, channels, x, ones.data(), zero.data(), y.data(), mean.data(), var.data());
    // y now holds x-hat.
    for (int c = 0; c < channels; ++c) {
        double sdy = 0, sdyx = 0;
        for (int r = 0; r < rows; ++r) {
            const std::size_t i = std::size_t(r) * channels + c;
            sdy += dy[i];
            sdyx += double(dy[i]) * y[i];
        }
        dbeta[c] = float(sdy);
        dgamma[c] = float(sdyx);
        const double inv_std = 1.0 / std::sqrt(double(var[c]) + BatchNorm::kEpsilon);
        for (int r = 0; r < rows; ++r) {
            const std::size_t i = std::size_t(r) * channels + c;
            dx[i] = float(gamma[c] * inv_std * (dy[i] - sdy / rows - y[i] * sdyx / rows));
        }
    }
}

BatchNorm::BatchNorm(float momentum) : momentum_(momentum) {
    if (!(momentum >= 0.0f && momentum < 1.0f))
        throw SpecError("batchnorm momentum must be in [0, 1), got " + std::to_string(momentum));
}

void BatchNorm::set_momentum(float momentum) {
    if (!(momentum >= 0.0f && momentum < 1.0f))
        throw Error("batchnorm momentum must be in [0, 1), got " + std::to_string(momentum));
    momentum_ = momentum;
}

std::string BatchNorm::spec() const {
    if (momentum_ == kDefaultMomentum) return "batchnorm";
    // Exact, so that the spec parses back (plain %g would print 0.9999999 as "1", refused).
    return "batchnorm " + float_text(momentum_);
}

LayerCost BatchNorm::cost(const Shape& input) const { return {4 * std::uint64_t(input.c), 2 * elements(input), 0}; }

void BatchNorm::build(const Shape& input, Rng& rng) {
    Layer::build(input, rng);
    channels_ = input.c;
    const std::size_t c = std::size_t(channels_);
    values_.assign(4 * c, 0.0f);
    std::fill(values_.begin(), values_.begin() + c, 1.0f);          // gamma
    std::fill(values_.begin() + 3 * c, values_.end(), 1.0f);        // moving variance
    grads_.assign(2 * c, 0.0f);
}

std::vector<ParamRef> BatchNorm::params() {
    const std::size_t c = std::size_t(channels_);
    float* v = values_.data();
    float* g = grads_.data();
    return {
        {name_ + ".gamma", {channels_}, v, g, c, true},
        {name_ + ".beta", {channels_}, v + c, g + c, c, true},
        {name_ + ".moving_mean", {channels_}, v + 2 * c, nullptr, c, false},
        {name_ + ".moving_variance", {channels_}, v + 3 * c, nullptr, c, false},
    };
}

void BatchNorm::forward(const Tensor& x, Tensor& y, const Context& ctx) {
    const int n = x.n();
    const std::size_t C = std::size_t(channels_);
    const std::size_t rows_per_sample = std::size_t(x.shape().h) * std::size_t(x.shape().w);
    const std::size_t rows = std::size_t(n) * rows_per_sample;
    y.resize(n, x.shape());
    const float* gamma = values_.data();
    const float* beta = gamma + C;
    float* moving_mean = values_.data() + 2 * C;
    float* moving_var = moving_mean + C;
    // y = x * scale + shift per channel, from the batch's statistics or the moving ones.
    std::vector<float> scale(C), shift(C);
    frozen_ = ctx.mode == Mode::Train && ctx.frozen_statistics;
    if (frozen_) {
        mean_.resize(C);
        inv_std_.resize(C);
        for (std::size_t c = 0; c < C; ++c) {
            mean_[c] = moving_mean[c];
            inv_std_[c] = 1.0f / std::sqrt(moving_var[c] + kEpsilon);
            scale[c] = gamma[c] / std::sqrt(moving_var[c] + kEpsilon);  // exactly as in inference
            shift[c] = beta[c] - moving_mean[c] * scale[c];
        }
        have_batch_stats_ = true;
    } else if (ctx.mode == Mode::Train) {
        if (rows == 0) throw Error("batchnorm needs at least one sample in training mode");
        std::vector<double> sums;
        channel_sums(ctx, n, rows_per_sample, C, partial_, sums, [&](std::size_t r, double* s, double* sq) {
            const float* xr = x.data() + r * C;
            for (std::size_t c = 0; c < C; ++c) {
                const double v = xr[c];
                s[c] += v;
                sq[c] += v * v;
            }
        });
        mean_.resize(C);
        inv_std_.resize(C);
        for (std::size_t c = 0; c < C; ++c) {
            const double mean = sums[c] / double(rows);
            // E[x^2] - mean^2 is safe in double for activations (|mean| is never 1e8 * std).
            const double var = std::max(0.0, sums[C + c] / double(rows) - mean * mean);
            mean_[c] = float(mean);
            inv_std_[c] = float(1.0 / std::sqrt(var + double(kEpsilon)));
            const double unbiased = rows > 1 ? var * double(rows) / double(rows - 1) : var;
            moving_mean[c] = float(momentum_ * moving_mean[c] + (1.0 - momentum_) * mean);
            moving_var[c] = float(momentum_ * moving_var[c] + (1.0 - momentum_) * unbiased);
            scale[c] = gamma[c] * inv_std_[c];
            shift[c] = beta[c] - mean_[c] * scale[c];
        }
        have_batch_stats_ = true;
    } else {
        for (std::size_t c = 0; c < C; ++c) {
            scale[c] = gamma[c] / std::sqrt(moving_var[c] + kEpsilon);
            shift[c] = beta[c] - moving_mean[c] * scale[c];
        }
        have_batch_stats_ = false;
    }
    run_tasks(ctx, chunk_count(n, kSamplesPerTask), [&](int t) {
        const RowRange r = task_rows(t, n, rows_per_sample);
        for (std::size_t row = r.r0; row < r.r1; ++row) {
            const float* xr = x.data() + row * C;
            float* yr = y.data() + row * C;
            for (std::size_t c = 0; c < C; ++c) yr[c] = xr[c] * scale[c] + shift[c];
        }
    });
}

void BatchNorm::backward(const Tensor& x, const Tensor& /*y*/, const Tensor& dy, Tensor* dx,
                         const Context& ctx) {
    if (!have_batch_stats_)
        throw Error("batchnorm backward needs a training-mode forward on the same batch first");
    const int n = x.n();
    const std::size_t C = std::size_t(channels_);
    const std::size_t rows_per_sample = std::size_t(x.shape().h) * std::size_t(x.shape().w);
    const double rows = double(std::size_t(n) * rows_per_sample);
    const float* mean = mean_.data();
    const float* inv_std = inv_std_.data();
    std::vector<double> sums;  // sum dy (= d beta), sum dy * x-hat (= d gamma)
    channel_sums(ctx, n, rows_per_sample, C, partial_, sums, [&](std::size_t r, double* sdy, double* sdyx) {
        const float* xr = x.data() + r * C;
        const float* dyr = dy.data() + r * C;
        for (std::size_t c = 0; c < C; ++c) {
            sdy[c] += dyr[c];
            sdyx[c] += double(dyr[c]) * ((xr[c] - mean[c]) * inv_std[c]);
        }
    });
    float* dgamma = grads_.data();
    float* dbeta = dgamma + C;
    for (std::size_t c = 0; c < C; ++c) {
        dbeta[c] = float(sums[c]);
        dgamma[c] = float(sums[C + c]);
    }
    if (!dx) return;
    dx->resize(n, x.shape());
    const float* gamma = values_.data();
    if (frozen_) {  // a fixed affine map: dx = gamma / std * dy
        std::vector<float> k(C);
        for (std::size_t c = 0; c < C; ++c) k[c] = gamma[c] * inv_std[c];
        run_tasks(ctx, chunk_count(n, kSamplesPerTask), [&](int t) {
            const RowRange r = task_rows(t, n, rows_per_sample);
            for (std::size_t row = r.r0; row < r.r1; ++row) {
                const float* dyr = dy.data() + row * C;
                float* dxr = dx->data() + row * C;
                for (std::size_t c = 0; c < C; ++c) dxr[c] = k[c] * dyr[c];
            }
        });
        return;
    }
    // dx = gamma / std * (dy - mean(dy) - x-hat * mean(dy * x-hat))
    std::vector<float> k(C), mdy(C), mdyx(C);
    for (std::size_t c = 0; c < C; ++c) {
        k[c] = gamma[c] * inv_std[c];
        mdy[c] = float(sums[c] / rows);
        mdyx[c] = float(sums[C + c] / rows);
    }
    run_tasks(ctx, chunk_count(n, kSamplesPerTask), [&](int t) {
        const RowRange r = task_rows(t, n, rows_per_sample);
        for (std::size_t row = r.r0; row < r.r1; ++row) {
            const float* xr = x.data() + row * C;
            const float* dyr = dy.data() + row * C;
            float* dxr = dx->data() + row * C;
            for (std::size_t c = 0; c < C; ++c) {
                const float xhat = (xr[c] - mean[c]) * inv_std[c];
                dxr[c] = k[c] * (dyr[c] - mdy[c] - xhat * mdyx[c]);
            }
        }
    });
}

}  // namespace cnn
