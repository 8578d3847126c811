// Flatten {h, w, c} to {1, 1, h*w*c}. With NHWC this is a copy in the same order as Keras.
#pragma once

#include "cnn/layers/layer.hpp"

namespace cnn {

class Flatten : public Layer {
public:
    std::string spec() const override { return "flatten"; }
    std::string kind() const override { return "flatten"; }
    Shape output_shape(const Shape& input) const override { return {1, 1, int(input.size())}; }
    void forward(const Tensor& x, Tensor& y, const Context& ctx) override;
    void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                  const Context& ctx) override;
};

}  // namespace cnn
