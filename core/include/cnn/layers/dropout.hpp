// Inverted dropout: in training each element is zeroed with probability `rate` and the rest are
// scaled by 1/(1-rate); at inference it is the identity.
#pragma once

#include <cstdint>

#include "cnn/layers/layer.hpp"

namespace cnn {

class Dropout : public Layer {
public:
    explicit Dropout(float rate);
    std::string spec() const override;
    std::string kind() const override { return "dropout"; }
    Shape output_shape(const Shape& input) const override { return input; }
    void forward(const Tensor& x, Tensor& y, const Context& ctx) override;
    void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                  const Context& ctx) override;
    float rate() const { return rate_; }

private:
    float rate_;
    std::vector<float> mask_;  // Train: 0 or 1/(1-rate) per element
};

}  // namespace cnn
