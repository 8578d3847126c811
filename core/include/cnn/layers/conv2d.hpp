// 2-D convolution (cross-correlation, as in Keras), NHWC input, kernel stored {kh, kw, in, out}.
#pragma once

#include "cnn/layers/layer.hpp"
#include "cnn/layers/padding.hpp"

namespace cnn {

struct Conv2DOptions {
    int filters = 1;
    int kernel = 3;
    int stride = 1;
    Padding padding = Padding::Valid;
};

// Geometry of one convolution: everything the kernels need besides buffers.
struct ConvGeometry {
    int h = 0, w = 0, c = 0;    // input
    int oh = 0, ow = 0, f = 0;  // output
    int k = 0, stride = 1, pad_top = 0, pad_left = 0;
    int patch() const { return k * k * c; }
};
ConvGeometry conv_geometry(const Shape& in, const Conv2DOptions& o);

// Plain loop reference versions, kept for tests. x: n*h*w*c, kernel: k*k*c*f, bias: f,
// y: n*oh*ow*f.
void conv2d_forward_reference(const ConvGeometry& g, int n, const float* x, const float* kernel,
                              const float* bias, float* y);
// Assigns dkernel, dbias and (if non-null) dx.
void conv2d_backward_reference(const ConvGeometry& g, int n, const float* x, const float* kernel,
                               const float* dy, float* dx, float* dkernel, float* dbias);

// im2col for one sample: cols is (oh*ow) x (k*k*c), row-major, column = (ky*k + kx)*c + ci.
// scratch holds im2col_scratch_size(g) floats (a zero-padded copy of x; none without padding).
void im2col(const ConvGeometry& g, const float* x, float* cols, float* scratch);
std::size_t im2col_scratch_size(const ConvGeometry& g);
// Adds the patch gradients back into dx (which must be zeroed by the caller).
void col2im_add(const ConvGeometry& g, const float* cols, float* dx);

class Conv2D : public Layer {
public:
    explicit Conv2D(Conv2DOptions o) : opt_(o) {}
    std::string spec() const override;
    std::string kind() const override { return "conv"; }
    Shape output_shape(const Shape& input) const override;
    void build(const Shape& input, Rng& rng) override;
    void forward(const Tensor& x, Tensor& y, const Context& ctx) override;
    void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                  const Context& ctx) override;
    std::vector<ParamRef> params() override;
    bool can_fuse_relu() const override { return true; }
    void fuse_relu() override { relu_ = true; }
    LayerCost cost(const Shape& input) const override;
    const Conv2DOptions& options() const { return opt_; }

private:
    Conv2DOptions opt_;
    bool relu_ = false;  // a following ReLU is fused in
    ConvGeometry g_{};
    std::vector<float> values_;  // kernel (k*k*c*f) then bias (f)
    std::vector<float> grads_;   // same layout as values_
    std::vector<float> cols_;    // Train: im2col patches of the batch, n*oh*ow x k*k*c
    std::vector<float> padded_;  // im2col scratch per task: zero-padded input sample
    std::vector<int> kept_index_; // Infer: for each patch row, its row among those computed
    std::vector<float> dcols_;   // backward scratch, per chunk of samples
    std::vector<float> partial_; // per-chunk kernel+bias gradients, reduced in chunk order
    std::vector<float> dmasked_; // fused ReLU: dy masked by y > 0, n*oh*ow x f
};

}  // namespace cnn
