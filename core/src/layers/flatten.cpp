#include "cnn/layers/flatten.hpp"

#include <algorithm>

namespace cnn {

void Flatten::forward(const Tensor& x, Tensor& y, const Context& /*ctx*/) {
    y.resize(x.n(), output_shape(x.shape()));
    std::copy(x.data(), x.data() + x.size(), y.data());
}

void Flatten::backward(const Tensor& x, const Tensor& /*y*/, const Tensor& dy, Tensor* dx,
                       const Context& /*ctx*/) {
    if (!dx) return;
    dx->resize(x.n(), x.shape());
    std::copy(dy.data(), dy.data() + dy.size(), dx->data());
}

}  // namespace cnn
