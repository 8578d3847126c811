#include "cnn/layers/flatten.hpp"

namespace cnn {

void Flatten::forward(const Tensor& x, Tensor& y, const Context& /*ctx*/) {
    copy_as(x, x.n(), output_shape(x.shape()), y);
}

void Flatten::backward(const Tensor& x, const Tensor& /*y*/, const Tensor& dy, Tensor* dx,
                       const Context& /*ctx*/) {
    if (dx) copy_as(dy, x.n(), x.shape(), *dx);
}

}  // namespace cnn
