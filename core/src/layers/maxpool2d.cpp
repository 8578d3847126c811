#include "cnn/layers/maxpool2d.hpp"

#include <algorithm>
#include <limits>

#include "cnn/base/error.hpp"

namespace cnn {

PoolGeometry pool_geometry(const Shape& in, const MaxPoolOptions& o) {
    PoolGeometry g;
    g.h = in.h;
    g.w = in.w;
    g.c = in.c;
    g.size = o.size;
    g.stride = o.stride > 0 ? o.stride : o.size;
    const WindowAxis ay = window_axis(in.h, g.size, g.stride, o.padding);
    const WindowAxis ax = window_axis(in.w, g.size, g.stride, o.padding);
    g.oh = ay.out;
    g.ow = ax.out;
    g.pad_top = ay.pad_before;
    g.pad_left = ax.pad_before;
    return g;
}

namespace {
// Max over each window of one sample; writes y and (if non-null) the argmax index per output.
// The first valid cell of a window initialises the result (so NaN inputs never leave an index
// unset); later cells replace it only when strictly greater, so ties go to the first maximum.
// The inner loops over channels are branch-free so that they vectorise.
void pool_sample(const PoolGeometry& g, const float* x, float* y, std::int32_t* arg) {
    if (g.size == 2 && g.stride == 2 && g.pad_top == 0 && g.pad_left == 0 && 2 * g.oh <= g.h && 2 * g.ow <= g.w) {
        // The common 2x2/2 case without padding: four loads per output, no bounds checks. The
        // geometry is copied to locals: int stores through `a` could otherwise alias it and
        // stop vectorisation.
        const int C = g.c, oh = g.oh, ow = g.ow, w = g.w;
        const std::size_t row = std::size_t(w) * C;
        for (int oy = 0; oy < oh; ++oy)
            for (int ox = 0; ox < ow; ++ox) {
                const std::size_t base = (std::size_t(2 * oy) * w + 2 * ox) * C;
                const float* __restrict p0 = x + base;
                const float* __restrict p1 = p0 + C;
                const float* __restrict p2 = p0 + row;
                const float* __restrict p3 = p2 + C;
                float* __restrict out = y + (std::size_t(oy) * ow + ox) * C;
                std::int32_t* __restrict a = arg ? arg + (std::size_t(oy) * ow + ox) * C : nullptr;
                const std::int32_t b0 = std::int32_t(base), b1 = b0 + C;
                const std::int32_t b2 = std::int32_t(base + row), b3 = b2 + C;
                // Plain compare-and-keep chains: the compiler turns these into vector blends (a
                // ternary formulation measured 40x slower). Ties go to the earlier cell.
                if (a) {
                    for (int c = 0; c < C; ++c) {
                        float m = p0[c];
                        std::int32_t k = b0;
                        if (p1[c] > m) { m = p1[c]; k = b1; }
                        if (p2[c] > m) { m = p2[c]; k = b2; }
                        if (p3[c] > m) { m = p3[c]; k = b3; }
                        out[c] = m;
                        a[c] = k + c;
                    }
                } else {
                    for (int c = 0; c < C; ++c) {
                        float m = p0[c];
                        if (p1[c] > m) m = p1[c];
                        if (p2[c] > m) m = p2[c];
                        if (p3[c] > m) m = p3[c];
                        out[c] = m;
                    }
                }
            }
        return;
    }
    for (int oy = 0; oy < g.oh; ++oy)
        for (int ox = 0; ox < g.ow; ++ox) {
            float* __restrict out = y + (std::size_t(oy) * g.ow + ox) * g.c;
            std::int32_t* __restrict a = arg ? arg + (std::size_t(oy) * g.ow + ox) * g.c : nullptr;
            bool first = true;
            for (int ky = 0; ky < g.size; ++ky) {
                const int iy = oy * g.stride - g.pad_top + ky;
                if (iy < 0 || iy >= g.h) continue;
                for (int kx = 0; kx < g.size; ++kx) {
                    const int ix = ox * g.stride - g.pad_left + kx;
                    if (ix < 0 || ix >= g.w) continue;
                    const std::int32_t base = std::int32_t((std::size_t(iy) * g.w + ix) * g.c);
                    const float* __restrict in = x + base;
                    if (first) {
                        for (int c = 0; c < g.c; ++c) out[c] = in[c];
                        if (a)
                            for (int c = 0; c < g.c; ++c) a[c] = base + c;
                        first = false;
                    } else if (a) {
                        for (int c = 0; c < g.c; ++c) {
                            const bool gt = in[c] > out[c];
                            out[c] = gt ? in[c] : out[c];
                            a[c] = gt ? base + c : a[c];
                        }
                    } else {
                        for (int c = 0; c < g.c; ++c) out[c] = in[c] > out[c] ? in[c] : out[c];
                    }
                }
            }
        }
}
}  // namespace

void maxpool_forward_reference(const PoolGeometry& g, int n, const float* x, float* y) {
    for (int s = 0; s < n; ++s)
        for (int oy = 0; oy < g.oh; ++oy)
            for (int ox = 0; ox < g.ow; ++ox)
                for (int c = 0; c < g.c; ++c) {
                    float m = -std::numeric_limits<float>::infinity();
                    for (int ky = 0; ky < g.size; ++ky)
                        for (int kx = 0; kx < g.size; ++kx) {
                            const int iy = oy * g.stride - g.pad_top + ky;
                            const int ix = ox * g.stride - g.pad_left + kx;
                            if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                            m = std::max(m, x[((std::size_t(s) * g.h + iy) * g.w + ix) * g.c + c]);
                        }
                    y[((std::size_t(s) * g.oh + oy) * g.ow + ox) * g.c + c] = m;
                }
}

void maxpool_backward_reference(const PoolGeometry& g, int n, const float* x, const float* dy,
                                float* dx) {
    std::fill(dx, dx + std::size_t(n) * g.h * g.w * g.c, 0.0f);
    for (int s = 0; s < n; ++s)
        for (int oy = 0; oy < g.oh; ++oy)
            for (int ox = 0; ox < g.ow; ++ox)
                for (int c = 0; c < g.c; ++c) {
                    float m = -std::numeric_limits<float>::infinity();
                    std::size_t best = 0;
                    for (int ky = 0; ky < g.size; ++ky)
                        for (int kx = 0; kx < g.size; ++kx) {
                            const int iy = oy * g.stride - g.pad_top + ky;
                            const int ix = ox * g.stride - g.pad_left + kx;
                            if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                            const std::size_t i = ((std::size_t(s) * g.h + iy) * g.w + ix) * g.c + c;
                            if (x[i] > m) {
                                m = x[i];
                                best = i;
                            }
                        }
                    dx[best] += dy[((std::size_t(s) * g.oh + oy) * g.ow + ox) * g.c + c];
                }
}

std::string MaxPool2D::spec() const {
    std::string s = "maxpool " + std::to_string(opt_.size);
    if (opt_.stride > 0 && opt_.stride != opt_.size) s += " s" + std::to_string(opt_.stride);
    if (opt_.padding == Padding::Same) s += " same";
    return s;
}

Shape MaxPool2D::output_shape(const Shape& input) const {
    const PoolGeometry g = pool_geometry(input, opt_);
    if (g.oh <= 0 || g.ow <= 0)
        throw SpecError("'" + spec() + "' does not fit its input " + input.str() +
                        " (window larger than the image)");
    return {g.oh, g.ow, g.c};
}

LayerCost MaxPool2D::cost(const Shape& input) const {
    const std::uint64_t size = std::uint64_t(opt_.size);
    return {0, elements(output_shape(input)) * size * size, 0};
}

void MaxPool2D::build(const Shape& input, Rng& rng) {
    Layer::build(input, rng);
    g_ = pool_geometry(input, opt_);
}

void MaxPool2D::forward(const Tensor& x, Tensor& y, const Context& ctx) {
    const int n = x.n();
    y.resize(n, {g_.oh, g_.ow, g_.c});
    const bool train = ctx.mode == Mode::Train;
    if (train) argmax_.resize(y.size());
    const std::size_t out_size = y.sample_size();
    run_tasks(ctx, chunk_count(n, kSamplesPerTask), [&](int task) {
        const int s0 = task * kSamplesPerTask;
        const int s1 = std::min(n, s0 + kSamplesPerTask);
        for (int s = s0; s < s1; ++s)
            pool_sample(g_, x.sample(s), y.sample(s),
                        train ? argmax_.data() + std::size_t(s) * out_size : nullptr);
    });
}

void MaxPool2D::backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                         const Context& ctx) {
    if (!dx) return;
    const int n = x.n();
    dx->resize(n, input_);
    const std::size_t out_size = y.sample_size();
    run_tasks(ctx, chunk_count(n, kSamplesPerTask), [&](int task) {
        const int s0 = task * kSamplesPerTask;
        const int s1 = std::min(n, s0 + kSamplesPerTask);
        for (int s = s0; s < s1; ++s) {
            float* d = dx->sample(s);
            std::fill(d, d + input_.size(), 0.0f);
            const float* g = dy.sample(s);
            const std::int32_t* a = argmax_.data() + std::size_t(s) * out_size;
            for (std::size_t i = 0; i < out_size; ++i) d[a[i]] += g[i];
        }
    });
}

}  // namespace cnn
