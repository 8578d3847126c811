#include "cnn/layers/dropout.hpp"

#include "cnn/base/error.hpp"
#include "cnn/base/float_text.hpp"

namespace cnn {

Dropout::Dropout(float rate) : rate_(rate) {
    if (!(rate >= 0.0f && rate < 1.0f))
        throw SpecError("dropout rate must be in [0, 1), got " + std::to_string(rate));
}

std::string Dropout::spec() const {
    // Exact: plain %g would print 0.9999999 as "1", a spec that no longer parses (and a weights
    // file that no longer loads).
    return "dropout " + float_text(rate_);
}

void Dropout::forward(const Tensor& x, Tensor& y, const Context& ctx) {
    if (ctx.mode != Mode::Train || rate_ == 0.0f) {
        copy_as(x, x.n(), x.shape(), y);
        return;
    }
    if (!ctx.rng) throw Error("dropout in training mode needs a random generator");
    y.resize(x.n(), x.shape());
    // The mask is drawn serially from one generator: identical for any thread count.
    const float keep_scale = 1.0f / (1.0f - rate_);
    mask_.resize(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
        mask_[i] = ctx.rng->uniform() < rate_ ? 0.0f : keep_scale;
        y[i] = x[i] * mask_[i];
    }
}

void Dropout::backward(const Tensor& x, const Tensor& /*y*/, const Tensor& dy, Tensor* dx,
                       const Context& ctx) {
    if (!dx) return;
    if (ctx.mode != Mode::Train || rate_ == 0.0f) {
        copy_as(dy, x.n(), x.shape(), *dx);
        return;
    }
    dx->resize(x.n(), x.shape());
    for (std::size_t i = 0; i < dy.size(); ++i) (*dx)[i] = dy[i] * mask_[i];
}

}  // namespace cnn
