// Fully connected layer: y = x W + b, W stored {in, out} (Keras layout). Input must be a
// vector shape {1, 1, in} (put a flatten before it).
#pragma once

#include "cnn/layers/layer.hpp"

namespace cnn {

class Dense : public Layer {
public:
    explicit Dense(int units) : units_(units) {}
    std::string spec() const override;
    std::string kind() const override { return "dense"; }
    Shape output_shape(const Shape& input) const override;
    void build(const Shape& input, Rng& rng) override;
    void forward(const Tensor& x, Tensor& y, const Context& ctx) override;
    void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                  const Context& ctx) override;
    std::vector<ParamRef> params() override;
    bool can_fuse_relu() const override { return true; }
    void fuse_relu() override { relu_ = true; }
    LayerCost cost(const Shape& input) const override;
    int units() const { return units_; }

private:
    // Inference: lists in live_ the inputs that are non-zero in some sample of x; returns how many.
    int list_live_inputs(const Tensor& x);

    int units_;
    int in_ = 0;
    bool relu_ = false;          // a following ReLU is fused in
    std::vector<float> dmasked_; // fused ReLU: dy masked by y > 0
    std::vector<float> values_;  // kernel (in*units) then bias (units)
    std::vector<float> grads_;
    std::vector<int> live_;      // Infer: inputs non-zero in some sample, increasing (first ones)
    std::vector<float> live_x_;  // Infer: n x live, those inputs
    std::vector<float> live_w_;  // Infer, a batch: live x units, their kernel rows
};

// Reference loops for tests.
void dense_forward_reference(int n, int in, int out, const float* x, const float* w,
                             const float* b, float* y);

}  // namespace cnn
