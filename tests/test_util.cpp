#include "test_util.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>
#include <zlib.h>

#include "cnn/model/loss.hpp"

namespace cnn_test {

using namespace cnn;

void require_close(const float* a, const float* b, std::size_t n, float tol) {
    for (std::size_t i = 0; i < n; ++i) {
        INFO("element " << i);
        REQUIRE(a[i] == Approx(b[i]).margin(tol));
    }
}

std::vector<std::uint8_t> gzip(const std::vector<std::uint8_t>& data, int level) {
    z_stream zs{};
    deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    std::vector<std::uint8_t> out(deflateBound(&zs, data.size()) + 32);
    zs.next_in = const_cast<std::uint8_t*>(data.data());
    zs.avail_in = uInt(data.size());
    zs.next_out = out.data();
    zs.avail_out = uInt(out.size());
    deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

void fill_random(Tensor& t, Rng& rng, float lo, float hi, float min_abs) {
    for (std::size_t i = 0; i < t.size(); ++i) {
        float v;
        do {
            v = rng.uniform(lo, hi);
        } while (std::fabs(v) < min_abs);
        t[i] = v;
    }
}

namespace {
double objective(Layer& layer, const Tensor& x, const std::vector<float>& r, std::uint64_t seed, bool frozen) {
    Rng rng(seed);
    Context ctx;
    ctx.mode = Mode::Train;
    ctx.rng = &rng;
    ctx.frozen_statistics = frozen;
    Tensor y;
    layer.forward(x, y, ctx);
    double l = 0;
    for (std::size_t i = 0; i < y.size(); ++i) l += double(r[i]) * y[i];
    return l;
}

double rel_error(double a, double b) { return std::fabs(a - b) / std::max(1e-2, std::fabs(a) + std::fabs(b)); }
}  // namespace

GradCheckResult grad_check(Layer& layer, Tensor x, std::uint64_t seed, int max_checks, float h, bool check_input,
                           bool frozen_statistics) {
    GradCheckResult res;
    Rng rng(seed);
    Context ctx;
    ctx.mode = Mode::Train;
    ctx.frozen_statistics = frozen_statistics;
    Rng layer_rng(seed + 1);
    ctx.rng = &layer_rng;
    Tensor y;
    layer.forward(x, y, ctx);
    std::vector<float> r(y.size());
    for (auto& v : r) v = rng.uniform(-1.0f, 1.0f);
    Tensor dy(y.n(), y.shape());
    std::copy(r.begin(), r.end(), dy.data());
    Tensor dx;
    layer.backward(x, y, dy, check_input ? &dx : nullptr, ctx);

    const auto numeric = [&](float* p) {
        const float saved = *p;
        *p = saved + h;
        const double lp = objective(layer, x, r, seed + 1, frozen_statistics);
        *p = saved - h;
        const double lm = objective(layer, x, r, seed + 1, frozen_statistics);
        *p = saved;
        return (lp - lm) / (2.0 * h);
    };
    const auto pick = [&](std::size_t n) {
        std::vector<std::size_t> idx;
        if (n <= std::size_t(max_checks)) {
            for (std::size_t i = 0; i < n; ++i) idx.push_back(i);
        } else {
            for (int i = 0; i < max_checks; ++i) idx.push_back(std::size_t(rng.below(n)));
        }
        return idx;
    };
    if (check_input) {
        for (std::size_t i : pick(x.size())) {
            const double num = numeric(&x[i]);
            res.max_input_error = std::max(res.max_input_error, rel_error(num, dx[i]));
            ++res.checked;
        }
    }
    // Parameter gradients must be read before the perturbing forwards overwrite caches; copy them.
    for (auto& p : layer.params()) {
        if (!p.trainable) continue;
        const std::vector<float> analytic(p.grad, p.grad + p.size);
        for (std::size_t i : pick(p.size)) {
            const double num = numeric(&p.value[i]);
            res.max_param_error = std::max(res.max_param_error, rel_error(num, analytic[i]));
            ++res.checked;
        }
    }
    return res;
}

namespace {
double model_loss(Model& model, const Tensor& x, const std::vector<std::uint8_t>& labels, std::uint64_t seed) {
    Rng rng(seed);
    Context ctx;
    ctx.mode = Mode::Train;
    ctx.rng = &rng;
    return softmax_cross_entropy(model.forward(x, ctx), labels.data(), nullptr).loss;
}
}  // namespace

ModelGradCheckResult grad_check_model(Model& model, const Tensor& x, const std::vector<std::uint8_t>& labels,
                                      std::uint64_t seed, int max_checks, float h) {
    ModelGradCheckResult res;
    {
        Rng rng(seed);
        Context ctx;
        ctx.mode = Mode::Train;
        ctx.rng = &rng;
        Tensor dlogits;
        softmax_cross_entropy(model.forward(x, ctx), labels.data(), &dlogits);
        model.backward(dlogits, ctx);
    }
    // Copied before the perturbing forwards; backward is not run again.
    std::vector<std::vector<float>> analytic;
    for (const auto& p : model.params()) analytic.emplace_back(p.grad ? p.grad : p.value, (p.grad ? p.grad : p.value) + p.size);
    const auto quotient = [&](float* p, float step) {
        const float saved = *p;
        *p = saved + step;
        const double lp = model_loss(model, x, labels, seed);
        *p = saved - step;
        const double lm = model_loss(model, x, labels, seed);
        *p = saved;
        return (lp - lm) / (double(saved + step) - double(saved - step));
    };
    Rng pick(seed + 100);
    const auto params = model.params();
    for (std::size_t t = 0; t < params.size(); ++t) {
        const ParamRef& p = params[t];
        if (!p.trainable) continue;
        std::vector<std::size_t> idx;
        for (std::size_t i = 0; i < p.size; ++i) idx.push_back(i);
        for (std::size_t i = idx.size(); i > 1; --i) std::swap(idx[i - 1], idx[pick.below(i)]);
        idx.resize(std::min(idx.size(), std::size_t(max_checks)));
        for (std::size_t i : idx) {
            const double num = quotient(&p.value[i], h), half = quotient(&p.value[i], h / 2);
            if (rel_error(num, half) > 2e-2) {
                ++res.skipped;
                continue;
            }
            const double err = rel_error(half, analytic[t][i]);
            if (err > res.max_error) {
                res.max_error = err;
                std::ostringstream s;
                s << p.name << "[" << i << "]: analytic " << analytic[t][i] << ", numeric " << half;
                res.worst = s.str();
            }
            ++res.checked;
        }
    }
    return res;
}

Dataset column_bars(int n, int label_shift) {
    std::vector<std::uint8_t> pixels(std::size_t(n) * 784, 0), labels;
    for (int i = 0; i < n; ++i) {
        const int k = i % 10;
        for (int y = 4; y < 24; ++y) pixels[std::size_t(i) * 784 + std::size_t(y * 28 + 4 + 2 * k)] = 255;
        labels.push_back(std::uint8_t((k + label_shift) % 10));
    }
    return make_byte_dataset({28, 28, 1}, std::move(pixels), std::move(labels), 10);
}

Dataset synthetic_bars(int n, int classes, std::uint64_t seed, int side) {
    Rng rng(seed);
    Dataset d;
    d.n = n;
    d.shape = {side, side, 1};
    d.classes = classes;
    d.images.assign(std::size_t(n) * side * side, 0.0f);
    d.labels.resize(n);
    for (int s = 0; s < n; ++s) {
        const int label = int(rng.below(std::uint64_t(classes)));
        d.labels[s] = std::uint8_t(label);
        const float angle = 3.14159265f * float(label) / float(classes);
        const float cx = side / 2.0f + rng.uniform(-1.5f, 1.5f), cy = side / 2.0f + rng.uniform(-1.5f, 1.5f);
        float* img = d.images.data() + std::size_t(s) * side * side;
        for (int t = -side; t <= side; ++t) {
            const float px = cx + 0.4f * t * std::cos(angle), py = cy + 0.4f * t * std::sin(angle);
            const int ix = int(std::lround(px)), iy = int(std::lround(py));
            if (ix >= 0 && iy >= 0 && ix < side && iy < side) img[iy * side + ix] = 1.0f;
        }
        for (int i = 0; i < side * side; ++i) img[i] = std::clamp(img[i] + rng.uniform(0.0f, 0.2f), 0.0f, 1.0f);
    }
    return d;
}

std::string mnist_path(const std::string& name) {
    const char* root = std::getenv("CNN_SOURCE_DIR");
    const std::string path = std::string(root ? root : CNN_SOURCE_DIR) + "/data/mnist/" + name;
    return std::ifstream(path).good() ? path : "";
}

bool in_ci() {
    const char* ci = std::getenv("CI");
    return ci && *ci && std::string(ci) != "0" && std::string(ci) != "false";
}

void missing_data(const std::string& what) {
    if (in_ci()) FAIL(what + " is missing; CI=" + std::getenv("CI") + " forbids skipping");
    WARN(what + " is missing; skipping this test");
}

}  // namespace cnn_test
