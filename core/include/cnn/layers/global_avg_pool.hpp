// Global average pooling: {h, w, c} to {1, 1, c}, the mean of each channel over the image.
// Replaces flatten before the classifier with c inputs instead of h*w*c (far fewer weights).
#pragma once

#include "cnn/layers/layer.hpp"

namespace cnn {

class GlobalAvgPool : public Layer {
public:
    std::string spec() const override { return "gap"; }
    std::string kind() const override { return "gap"; }
    Shape output_shape(const Shape& input) const override { return {1, 1, input.c}; }
    LayerCost cost(const Shape& input) const override { return {0, elements(input), 0}; }
    void forward(const Tensor& x, Tensor& y, const Context& ctx) override;
    // dx = dy / (h * w) at every position of the channel.
    void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                  const Context& ctx) override;
};

}  // namespace cnn
