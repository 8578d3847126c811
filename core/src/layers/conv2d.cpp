#include "cnn/layers/conv2d.hpp"

#include <algorithm>

#include "cnn/base/error.hpp"
#include "cnn/kernels/gemm.hpp"
#include "kernels/column_sums.hpp"
#include "kernels/simd4.hpp"
#include "layers/init.hpp"

namespace cnn {

ConvGeometry conv_geometry(const Shape& in, const Conv2DOptions& o) {
    ConvGeometry g;
    g.h = in.h;
    g.w = in.w;
    g.c = in.c;
    g.k = o.kernel;
    g.stride = o.stride;
    g.f = o.filters;
    const WindowAxis ay = window_axis(in.h, o.kernel, o.stride, o.padding);
    const WindowAxis ax = window_axis(in.w, o.kernel, o.stride, o.padding);
    g.oh = ay.out;
    g.ow = ax.out;
    g.pad_top = ay.pad_before;
    g.pad_left = ax.pad_before;
    return g;
}

void conv2d_forward_reference(const ConvGeometry& g, int n, const float* x, const float* kernel,
                              const float* bias, float* y) {
    for (int s = 0; s < n; ++s)
        for (int oy = 0; oy < g.oh; ++oy)
            for (int ox = 0; ox < g.ow; ++ox)
                for (int f = 0; f < g.f; ++f) {
                    double acc = bias[f];
                    for (int ky = 0; ky < g.k; ++ky)
                        for (int kx = 0; kx < g.k; ++kx) {
                            const int iy = oy * g.stride - g.pad_top + ky;
                            const int ix = ox * g.stride - g.pad_left + kx;
                            if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                            for (int c = 0; c < g.c; ++c)
                                acc += double(x[((std::size_t(s) * g.h + iy) * g.w + ix) * g.c + c]) *
                                       kernel[((ky * g.k + kx) * g.c + c) * g.f + f];
                        }
                    y[((std::size_t(s) * g.oh + oy) * g.ow + ox) * g.f + f] = float(acc);
                }
}

void conv2d_backward_reference(const ConvGeometry& g, int n, const float* x, const float* kernel,
                               const float* dy, float* dx, float* dkernel, float* dbias) {
    std::fill(dkernel, dkernel + std::size_t(g.patch()) * g.f, 0.0f);
    std::fill(dbias, dbias + g.f, 0.0f);
    if (dx) std::fill(dx, dx + std::size_t(n) * g.h * g.w * g.c, 0.0f);
    for (int s = 0; s < n; ++s)
        for (int oy = 0; oy < g.oh; ++oy)
            for (int ox = 0; ox < g.ow; ++ox)
                for (int f = 0; f < g.f; ++f) {
                    const float d = dy[((std::size_t(s) * g.oh + oy) * g.ow + ox) * g.f + f];
                    dbias[f] += d;
                    for (int ky = 0; ky < g.k; ++ky)
                        for (int kx = 0; kx < g.k; ++kx) {
                            const int iy = oy * g.stride - g.pad_top + ky;
                            const int ix = ox * g.stride - g.pad_left + kx;
                            if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                            for (int c = 0; c < g.c; ++c) {
                                const std::size_t xi =
                                    ((std::size_t(s) * g.h + iy) * g.w + ix) * g.c + c;
                                const std::size_t ki = ((ky * g.k + kx) * g.c + c) * g.f + f;
                                dkernel[ki] += x[xi] * d;
                                if (dx) dx[xi] += kernel[ki] * d;
                            }
                        }
                }
}

namespace {

// n floats from src to dst, four at a time (im2col copies short runs: a memcpy call per run cost
// more than the copy itself in the wasm build).
inline void copy_run(const float* src, float* dst, int n) {
    int i = 0;
    for (; i + 4 <= n; i += 4) simd4::store(dst + i, simd4::load(src + i));
    for (; i < n; ++i) dst[i] = src[i];
}

// The input rows and columns that the windows cover, padding included.
int covered_rows(const ConvGeometry& g) { return (g.oh - 1) * g.stride + g.k; }
int covered_cols(const ConvGeometry& g) { return (g.ow - 1) * g.stride + g.k; }

bool needs_padding(const ConvGeometry& g) {
    return g.pad_top > 0 || g.pad_left > 0 || covered_rows(g) > g.h || covered_cols(g) > g.w;
}

// Drops each row of `rows` x `len` that has the same bits as the row kept before it or as the row
// `width` rows earlier (the window above, in the previous output row), moving the kept rows
// together at the front; kept_index[i] is the position among the kept rows of row i's content.
// Returns how many were kept. A digit's blank background gives identical im2col rows, in runs
// along an output row and in columns down the margins.
int drop_repeated_rows(float* rows_data, int rows, int len, int width, int* kept_index) {
    int kept = 0;
    for (int i = 0; i < rows; ++i) {
        const float* row = rows_data + std::size_t(i) * len;
        if (kept > 0 && simd4::same_bits(row, rows_data + std::size_t(kept - 1) * len, len)) {
            kept_index[i] = kept - 1;
            continue;
        }
        if (i >= width) {
            const int above = kept_index[i - width];
            if (simd4::same_bits(row, rows_data + std::size_t(above) * len, len)) {
                kept_index[i] = above;
                continue;
            }
        }
        if (kept != i) copy_run(row, rows_data + std::size_t(kept) * len, len);
        kept_index[i] = kept++;
    }
    return kept;
}

// Undoes drop_repeated_rows on the output: y holds the kept rows' results at the front (len
// floats each); afterwards row i holds the result of its kept row. Backwards, in place: row i
// reads position kept_index[i] <= i, which no later step (a smaller i) has written yet.
void restore_repeated_rows(float* y, int rows, int len, const int* kept_index) {
    for (int i = rows - 1; i >= 0; --i)
        if (kept_index[i] != i) copy_run(y + std::size_t(kept_index[i]) * len, y + std::size_t(i) * len, len);
}

}  // namespace

std::size_t im2col_scratch_size(const ConvGeometry& g) {
    return needs_padding(g) ? std::size_t(covered_rows(g)) * covered_cols(g) * g.c : 0;
}

void im2col(const ConvGeometry& g, const float* x, float* cols, float* scratch) {
    // Windows over the border read zeros: with padding, x is first copied into a zero-bordered
    // image (scratch), so that every window row is one contiguous run of k * c floats. Per-pixel
    // bounds checks made this copy cost as much as conv1's GEMM in the wasm build.
    const float* src = x;
    int src_w = g.w;  // pixels per row of src
    if (needs_padding(g)) {
        const int rows = covered_rows(g), cols_w = covered_cols(g);
        const int copy_w = std::max(0, std::min(g.w, cols_w - g.pad_left));  // pixels of x per row
        const std::size_t row_floats = std::size_t(cols_w) * g.c;
        for (int r = 0; r < rows; ++r) {
            float* row = scratch + r * row_floats;
            const int iy = r - g.pad_top;
            if (iy < 0 || iy >= g.h) {
                std::fill(row, row + row_floats, 0.0f);
                continue;
            }
            float* inside = row + std::size_t(g.pad_left) * g.c;
            std::fill(row, inside, 0.0f);
            copy_run(x + std::size_t(iy) * g.w * g.c, inside, copy_w * g.c);
            std::fill(inside + std::size_t(copy_w) * g.c, row + row_floats, 0.0f);
        }
        src = scratch;
        src_w = cols_w;
    }
    const std::size_t row_len = std::size_t(g.patch());
    const int run = g.k * g.c;  // one kernel row of a window: k pixels of c channels
    const std::size_t step = std::size_t(g.stride) * g.c;
    for (int oy = 0; oy < g.oh; ++oy)
        for (int ky = 0; ky < g.k; ++ky) {
            const float* s = src + std::size_t(oy * g.stride + ky) * src_w * g.c;
            float* d = cols + std::size_t(oy) * g.ow * row_len + std::size_t(ky) * run;
            if (run == 4) {  // 4x4 kernels on one channel (the seed model's conv1): one vector
                for (int ox = 0; ox < g.ow; ++ox, s += step, d += row_len) simd4::store(d, simd4::load(s));
            } else {
                for (int ox = 0; ox < g.ow; ++ox, s += step, d += row_len) copy_run(s, d, run);
            }
        }
}

void col2im_add(const ConvGeometry& g, const float* cols, float* dx) {
    const std::size_t row_len = std::size_t(g.patch());
    for (int oy = 0; oy < g.oh; ++oy)
        for (int ox = 0; ox < g.ow; ++ox) {
            const float* row = cols + (std::size_t(oy) * g.ow + ox) * row_len;
            for (int ky = 0; ky < g.k; ++ky) {
                const int iy = oy * g.stride - g.pad_top + ky;
                if (iy < 0 || iy >= g.h) continue;
                for (int kx = 0; kx < g.k; ++kx) {
                    const int ix = ox * g.stride - g.pad_left + kx;
                    if (ix < 0 || ix >= g.w) continue;
                    const float* src = row + std::size_t(ky * g.k + kx) * g.c;
                    float* dst = dx + (std::size_t(iy) * g.w + ix) * g.c;
                    for (int c = 0; c < g.c; ++c) dst[c] += src[c];
                }
            }
        }
}

std::string Conv2D::spec() const {
    std::string s = "conv " + std::to_string(opt_.filters) + " k" + std::to_string(opt_.kernel);
    if (opt_.stride != 1) s += " s" + std::to_string(opt_.stride);
    if (opt_.padding == Padding::Same) s += " same";
    return s;
}

LayerCost Conv2D::cost(const Shape& input) const {
    const Shape out = output_shape(input);
    const std::uint64_t patch = std::uint64_t(opt_.kernel) * std::uint64_t(opt_.kernel) * std::uint64_t(input.c);
    return {(patch + 1) * std::uint64_t(opt_.filters), elements(out) * patch,
            std::uint64_t(out.h) * std::uint64_t(out.w) * patch};
}

Shape Conv2D::output_shape(const Shape& input) const {
    const ConvGeometry g = conv_geometry(input, opt_);
    if (g.oh <= 0 || g.ow <= 0)
        throw SpecError("'" + spec() + "' does not fit its input " + input.str() +
                        " (kernel larger than the image; use 'same' padding?)");
    return {g.oh, g.ow, g.f};
}

void Conv2D::build(const Shape& input, Rng& rng) {
    Layer::build(input, rng);
    g_ = conv_geometry(input, opt_);
    const std::size_t kernel_size = std::size_t(g_.patch()) * g_.f;
    values_.assign(kernel_size + g_.f, 0.0f);
    grads_.assign(values_.size(), 0.0f);
    glorot_uniform(values_.data(), kernel_size, g_.patch(), g_.k * g_.k * g_.f, rng);
}

std::vector<ParamRef> Conv2D::params() {
    const std::size_t kernel_size = std::size_t(g_.patch()) * g_.f;
    return {
        {name_ + ".kernel", {g_.k, g_.k, g_.c, g_.f}, values_.data(), grads_.data(), kernel_size, true},
        {name_ + ".bias", {g_.f}, values_.data() + kernel_size, grads_.data() + kernel_size,
         std::size_t(g_.f), true},
    };
}

void Conv2D::forward(const Tensor& x, Tensor& y, const Context& ctx) {
    const int n = x.n();
    y.resize(n, {g_.oh, g_.ow, g_.f});
    const int rows_per_sample = g_.oh * g_.ow;
    const int patch = g_.patch();
    cols_.resize(std::size_t(n) * rows_per_sample * patch);
    const float* kernel = values_.data();                           // patch x f
    const float* bias = values_.data() + std::size_t(patch) * g_.f;  // f
    const int tasks = chunk_count(n, kSamplesPerTask);
    const std::size_t scratch_size = im2col_scratch_size(g_);
    padded_.resize(std::size_t(tasks) * scratch_size);
    // Inference computes each run of identical patch rows once: a digit's blank areas make long
    // runs. With the own GEMM kernel (the browser's) the result has the same bits as computing
    // every row; Eigen may round a row differently at another position in the product. Training
    // keeps every row: backward needs all of cols_.
    const bool dedupe = ctx.mode == Mode::Infer;
    if (dedupe) kept_index_.resize(std::size_t(n) * rows_per_sample);
    run_tasks(ctx, tasks, [&](int task) {
        const int s0 = task * kSamplesPerTask;
        const int s1 = std::min(n, s0 + kSamplesPerTask);
        float* cols = cols_.data() + std::size_t(s0) * rows_per_sample * patch;
        float* scratch = padded_.data() + std::size_t(task) * scratch_size;
        for (int s = s0; s < s1; ++s)
            im2col(g_, x.sample(s), cols + std::size_t(s - s0) * rows_per_sample * patch, scratch);
        const int rows = (s1 - s0) * rows_per_sample;
        int* kept_index = dedupe ? kept_index_.data() + std::size_t(s0) * rows_per_sample : nullptr;
        const int kept = dedupe ? drop_repeated_rows(cols, rows, patch, g_.ow, kept_index) : rows;
        // y (rows x f) = relu?(bias + cols kernel): start from the bias and fuse the ReLU, one
        // pass over the output.
        gemm_nn(kept, g_.f, patch, cols, patch, kernel, g_.f, GemmOut::with_bias(y.sample(s0), g_.f, bias, relu_));
        if (kept < rows) restore_repeated_rows(y.sample(s0), rows, g_.f, kept_index);
    });
}

void Conv2D::backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                      const Context& ctx) {
    const int n = x.n();
    const int rows_per_sample = g_.oh * g_.ow;
    const int patch = g_.patch();
    const std::size_t kernel_size = std::size_t(patch) * g_.f;
    const int tasks = chunk_count(n, kSamplesPerTask);
    partial_.resize(std::size_t(tasks) * values_.size());
    if (dx) {
        dx->resize(n, input_);
        dcols_.resize(cols_.size());
    }
    if (relu_) dmasked_.resize(dy.size());
    const float* kernel = values_.data();  // patch x f
    run_tasks(ctx, tasks, [&](int task) {
        const int s0 = task * kSamplesPerTask;
        const int s1 = std::min(n, s0 + kSamplesPerTask);
        const int rows = (s1 - s0) * rows_per_sample;
        const std::size_t offset = std::size_t(s0) * rows_per_sample * patch;
        const float* cols = cols_.data() + offset;  // rows x patch
        const float* d_ptr = dy.sample(s0);
        if (relu_) {
            // The fused ReLU's backward: pass the gradient only where the output was positive.
            const std::size_t off = std::size_t(s0) * rows_per_sample * g_.f;
            const std::size_t count = std::size_t(rows) * g_.f;
            const float* __restrict yv = y.data() + off;
            const float* __restrict gv = dy.data() + off;
            float* __restrict mv = dmasked_.data() + off;
            for (std::size_t i = 0; i < count; ++i) mv[i] = yv[i] > 0.0f ? gv[i] : 0.0f;
            d_ptr = mv;
        }
        // d_ptr: rows x f
        float* part = partial_.data() + std::size_t(task) * values_.size();
        gemm_tn(patch, g_.f, rows, cols, patch, d_ptr, g_.f, GemmOut::assign(part, g_.f));  // cols^T d
        column_sums(d_ptr, rows, g_.f, part + kernel_size);
        if (dx) {
            float* dcols = dcols_.data() + offset;  // rows x patch = d kernel^T
            gemm_nt(rows, patch, g_.f, d_ptr, g_.f, kernel, g_.f, GemmOut::assign(dcols, patch));
            std::fill(dx->sample(s0), dx->sample(s0) + std::size_t(s1 - s0) * input_.size(), 0.0f);
            for (int s = s0; s < s1; ++s)
                col2im_add(g_, dcols + std::size_t(s - s0) * rows_per_sample * patch, dx->sample(s));
        }
    });
    // Reduce in task order: the result does not depend on which thread ran which task.
    std::copy(partial_.begin(), partial_.begin() + values_.size(), grads_.begin());
    for (int t = 1; t < tasks; ++t) {
        const float* part = partial_.data() + std::size_t(t) * values_.size();
        for (std::size_t i = 0; i < grads_.size(); ++i) grads_[i] += part[i];
    }
}

}  // namespace cnn
