#include "cnn/layers/dense.hpp"

#include <algorithm>

#include "cnn/base/error.hpp"
#include "cnn/kernels/gemm.hpp"
#include "kernels/column_sums.hpp"
#include "layers/init.hpp"

namespace cnn {

namespace {
// Fixed block sizes (independent of thread count, for reproducibility).
constexpr int kOutputBlock = 64;  // forward: columns of y per task
// Forward passes with fewer multiply-adds than this run as one task: handing half of a one-image
// dense layer to another thread costs more than computing it (batch-1 inference).
constexpr std::size_t kMinSplitWork = std::size_t(1) << 20;
constexpr int kInputBlock = 512;  // backward: rows of dW / columns of dx per task
}  // namespace

void dense_forward_reference(int n, int in, int out, const float* x, const float* w,
                             const float* b, float* y) {
    for (int s = 0; s < n; ++s)
        for (int j = 0; j < out; ++j) {
            double acc = b[j];
            for (int i = 0; i < in; ++i) acc += double(x[std::size_t(s) * in + i]) * w[std::size_t(i) * out + j];
            y[std::size_t(s) * out + j] = float(acc);
        }
}

std::string Dense::spec() const { return "dense " + std::to_string(units_); }

LayerCost Dense::cost(const Shape& input) const {
    const std::uint64_t units = std::uint64_t(units_);
    return {(elements(input) + 1) * units, elements(input) * units, 0};
}

Shape Dense::output_shape(const Shape& input) const {
    if (input.h != 1 || input.w != 1)
        throw SpecError("'" + spec() + "' needs a vector input but gets " + input.str() +
                        " (add 'flatten' before it)");
    return {1, 1, units_};
}

void Dense::build(const Shape& input, Rng& rng) {
    Layer::build(input, rng);
    in_ = int(input.size());
    const std::size_t kernel_size = std::size_t(in_) * units_;
    values_.assign(kernel_size + units_, 0.0f);
    grads_.assign(values_.size(), 0.0f);
    glorot_uniform(values_.data(), kernel_size, in_, units_, rng);
}

std::vector<ParamRef> Dense::params() {
    const std::size_t kernel_size = std::size_t(in_) * units_;
    return {
        {name_ + ".kernel", {in_, units_}, values_.data(), grads_.data(), kernel_size, true},
        {name_ + ".bias", {units_}, values_.data() + kernel_size, grads_.data() + kernel_size,
         std::size_t(units_), true},
    };
}

int Dense::list_live_inputs(const Tensor& x) {
    const int n = x.n();
    const float* xs = x.data();
    live_.resize(in_);
    int live = 0;
    for (int i = 0; i < in_; ++i)
        for (int s = 0; s < n; ++s)
            if (xs[std::size_t(s) * in_ + i] != 0.0f) {  // NaN counts as live
                live_[live++] = i;
                break;
            }
    return live;
}

void Dense::forward(const Tensor& x, Tensor& y, const Context& ctx) {
    const int n = x.n();
    y.resize(n, {1, 1, units_});
    const float* inputs = x.data();                                   // n x in
    const float* kernel = values_.data();                            // in x units
    const float* bias = values_.data() + std::size_t(in_) * units_;  // units
    int in = in_;
    // Inference skips the inputs that are zero in every sample (after a ReLU and max pooling, most
    // of one digit's are): their products are exact zeros, since weights are finite at inference
    // (load_weights refuses others, training stops on them). The live inputs keep their order, so
    // with the own GEMM kernel the sums are those of the full product, up to the sign of a zero.
    // Only when at least an eighth of the inputs are zero: listing and gathering have their costs.
    const int live = ctx.mode == Mode::Infer ? list_live_inputs(x) : in_;
    const bool skip = live < in_ && live <= in_ - in_ / 8;
    if (skip && n == 1) {  // one digit: straight from the listed kernel rows
        live_x_.resize(live);
        for (int j = 0; j < live; ++j) live_x_[j] = inputs[live_[j]];
        gemv_rows(units_, live, live_x_.data(), live_.data(), kernel, units_,
                  GemmOut::with_bias(y.data(), units_, bias, relu_));
        return;
    }
    if (skip) {  // a batch: the live inputs and their kernel rows, gathered
        live_x_.resize(std::size_t(n) * live);
        for (int s = 0; s < n; ++s)
            for (int j = 0; j < live; ++j)
                live_x_[std::size_t(s) * live + j] = inputs[std::size_t(s) * in_ + live_[j]];
        live_w_.resize(std::size_t(live) * units_);
        for (int j = 0; j < live; ++j)
            std::copy_n(kernel + std::size_t(live_[j]) * units_, units_, live_w_.data() + std::size_t(j) * units_);
        in = live;
        inputs = live_x_.data();
        kernel = live_w_.data();
    }
    const bool split = std::size_t(n) * in * units_ >= kMinSplitWork;
    const int block = split ? kOutputBlock : units_;
    run_tasks(ctx, chunk_count(units_, block), [&](int task) {
        const int j0 = task * block;
        const int cols = std::min(units_, j0 + block) - j0;
        // y[:, j0:j0+cols] (n x cols) = relu?(bias + x kernel[:, j0:j0+cols])
        gemm_nn(n, cols, in, inputs, in, kernel + j0, units_,
                GemmOut::with_bias(y.data() + j0, units_, bias + j0, relu_));
    });
}

void Dense::backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                     const Context& ctx) {
    const int n = x.n();
    const float* d_ptr = dy.data();
    if (relu_) {
        // The fused ReLU's backward (small: n x units).
        dmasked_.resize(dy.size());
        for (std::size_t i = 0; i < dy.size(); ++i) dmasked_[i] = y[i] > 0.0f ? dy[i] : 0.0f;
        d_ptr = dmasked_.data();
    }
    // d_ptr: n x units
    const float* kernel = values_.data();  // in x units
    float* dkernel = grads_.data();        // in x units
    if (dx) dx->resize(n, input_);
    run_tasks(ctx, chunk_count(in_, kInputBlock), [&](int task) {
        const int i0 = task * kInputBlock;
        const int rows = std::min(in_, i0 + kInputBlock) - i0;
        // dkernel[i0:i0+rows, :] = x[:, i0:i0+rows]^T d
        gemm_tn(rows, units_, n, x.data() + i0, in_, d_ptr, units_,
                GemmOut::assign(dkernel + std::size_t(i0) * units_, units_));
        // dx[:, i0:i0+rows] = d kernel[i0:i0+rows, :]^T
        if (dx)
            gemm_nt(n, rows, units_, d_ptr, units_, kernel + std::size_t(i0) * units_, units_,
                    GemmOut::assign(dx->data() + i0, in_));
    });
    column_sums(d_ptr, n, units_, grads_.data() + std::size_t(in_) * units_);
}

}  // namespace cnn
