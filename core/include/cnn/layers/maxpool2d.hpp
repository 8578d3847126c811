// 2-D max pooling over NHWC, per channel. Train mode keeps the argmax of each window so that
// backward routes the gradient to exactly one input (the first maximum on ties).
#pragma once

#include <cstdint>

#include "cnn/layers/layer.hpp"
#include "cnn/layers/padding.hpp"

namespace cnn {

struct MaxPoolOptions {
    int size = 2;
    int stride = 0;  // 0: same as size (Keras default)
    Padding padding = Padding::Valid;
};

struct PoolGeometry {
    int h = 0, w = 0, c = 0, oh = 0, ow = 0;
    int size = 2, stride = 2, pad_top = 0, pad_left = 0;
};
PoolGeometry pool_geometry(const Shape& in, const MaxPoolOptions& o);

// Reference loops for tests. Padding cells never win (they count as -infinity).
void maxpool_forward_reference(const PoolGeometry& g, int n, const float* x, float* y);
void maxpool_backward_reference(const PoolGeometry& g, int n, const float* x, const float* dy,
                                float* dx);

class MaxPool2D : public Layer {
public:
    explicit MaxPool2D(MaxPoolOptions o) : opt_(o) {}
    std::string spec() const override;
    std::string kind() const override { return "maxpool"; }
    Shape output_shape(const Shape& input) const override;
    LayerCost cost(const Shape& input) const override;
    void build(const Shape& input, Rng& rng) override;
    void forward(const Tensor& x, Tensor& y, const Context& ctx) override;
    void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                  const Context& ctx) override;
    const MaxPoolOptions& options() const { return opt_; }

private:
    MaxPoolOptions opt_;
    PoolGeometry g_{};
    std::vector<std::int32_t> argmax_;  // Train: per output element, index into the sample
};

}  // namespace cnn
