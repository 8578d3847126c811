#include "cnn/layers/residual.hpp"

#include "cnn/base/error.hpp"

namespace cnn {

void Skip::forward(const Tensor& x, Tensor& y, const Context& /*ctx*/) {
    copy_as(x, x.n(), x.shape(), y);
}

void Skip::backward(const Tensor& x, const Tensor& /*y*/, const Tensor& dy, Tensor* dx, const Context& /*ctx*/) {
    if (dx) copy_as(dy, x.n(), x.shape(), *dx);
}

void Add::forward(const Tensor& x, Tensor& y, const Context& /*ctx*/) {
    if (!shortcut_) throw Error(name() + ": no shortcut connected (an add runs inside a model, after its skip)");
    if (shortcut_->n() != x.n() || shortcut_->shape() != x.shape())
        throw Error(name() + ": the shortcut is " + std::to_string(shortcut_->n()) + " x " + shortcut_->shape().str() +
                    " but the input is " + std::to_string(x.n()) + " x " + x.shape().str());
    y.resize(x.n(), x.shape());
    const float* a = x.data();
    const float* b = shortcut_->data();
    float* out = y.data();
    for (std::size_t i = 0; i < x.size(); ++i) out[i] = a[i] + b[i];
}

void Add::backward(const Tensor& x, const Tensor& /*y*/, const Tensor& dy, Tensor* dx, const Context& /*ctx*/) {
    if (dx) copy_as(dy, x.n(), x.shape(), *dx);
}

}  // namespace cnn
