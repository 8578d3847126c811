// Rectified linear unit, elementwise. Gradient at exactly 0 is taken as 0 (as TensorFlow).
#pragma once

#include "cnn/layers/layer.hpp"

namespace cnn {

class ReLU : public Layer {
public:
    std::string spec() const override { return "relu"; }
    std::string kind() const override { return "relu"; }
    Shape output_shape(const Shape& input) const override { return input; }
    void forward(const Tensor& x, Tensor& y, const Context& ctx) override;
    void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                  const Context& ctx) override;
};

}  // namespace cnn
