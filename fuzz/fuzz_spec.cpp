#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cnn/base/error.hpp"
#include "cnn/layers/conv2d.hpp"
#include "cnn/layers/dense.hpp"
#include "cnn/model/loss.hpp"
#include "cnn/model/model.hpp"
#include "cnn/model/spec.hpp"
#include "targets.hpp"

namespace cnn_fuzz {

namespace {

// Compares a layer's fast forward output with its reference loop version, where one exists.
// relu: the layer applies the following ReLU itself (Layer::fuse_relu).
void compare_with_reference(cnn::Layer& layer, const cnn::Tensor& x, const cnn::Tensor& y, bool relu) {
    std::vector<float> ref(y.size());
    std::size_t terms = 0;
    if (auto* conv = dynamic_cast<cnn::Conv2D*>(&layer)) {
        const cnn::ConvGeometry g = cnn::conv_geometry(x.shape(), conv->options());
        const auto p = conv->params();
        cnn::conv2d_forward_reference(g, x.n(), x.data(), p[0].value, p[1].value, ref.data());
        terms = std::size_t(g.patch());
    } else if (auto* dense = dynamic_cast<cnn::Dense*>(&layer)) {
        const auto p = dense->params();
        cnn::dense_forward_reference(x.n(), int(x.sample_size()), dense->units(), x.data(), p[0].value,
                                     p[1].value, ref.data());
        terms = x.sample_size();
    } else {
        return;
    }
    if (relu)
        for (float& v : ref) v = std::max(v, 0.0f);
    for (std::size_t i = 0; i < ref.size(); ++i) {
        // Float sums in a different order: allow rounding that grows with the number of terms.
        const double tol = 1e-5 * std::sqrt(double(terms) + 1) * (1.0 + std::fabs(ref[i]));
        check(std::fabs(double(y[i]) - ref[i]) <= tol,
              layer.name() + " (" + layer.spec() + ") matches its reference loops at element " + std::to_string(i) +
                  ": " + std::to_string(y[i]) + " vs " + std::to_string(ref[i]));
    }
}

}  // namespace

void spec(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    cnn::ParsedSpec parsed;
    try {
        parsed = cnn::parse_spec(text);
    } catch (const cnn::SpecError&) {
        return;
    }
    // Accepted: the canonical form must parse to itself.
    const std::string canonical = cnn::spec_to_string(parsed.input, parsed.layers);
    const cnn::ParsedSpec again = cnn::parse_spec(canonical);
    check(cnn::spec_to_string(again.input, again.layers) == canonical, "canonical spec is stable: " + canonical);

    // Build and run it when that is cheap; the limits bound the rest.
    cnn::SpecLimits cheap;
    cheap.max_params = 1 << 18;
    cheap.max_activation = 1 << 14;
    cheap.max_work = 1 << 21;
    try {
        cnn::parse_spec(canonical, cheap);
    } catch (const cnn::SpecError&) {
        return;
    }
    cnn::Model m = cnn::Model::from_spec(text, 1);
    check(m.spec() == canonical, "model spec is the canonical spec");
    const int n = 2;
    cnn::Tensor x(n, m.input_shape());
    cnn::Rng rng(5);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = rng.uniform();
    cnn::Context ctx;
    ctx.mode = cnn::Mode::Train;
    ctx.rng = &rng;
    const cnn::Tensor& logits = m.forward(x, ctx);
    check(logits.n() == n && logits.shape() == m.output_shape(), "output shape");
    for (std::size_t i = 0; i < logits.size(); ++i) check(std::isfinite(logits[i]), "finite logits");
    for (std::size_t l = 0; l < m.layer_count(); ++l) {
        // A fused ReLU runs no code of its own: its output is the layer's output tensor (as is a
        // skip's, which applies nothing).
        const bool fused = l + 1 < m.layer_count() && m.layer(l + 1).kind() == "relu" &&
                           &m.activation(l + 1) == &m.activation(l);
        compare_with_reference(m.layer(l), l == 0 ? x : m.activation(l - 1), m.activation(l), fused);
    }
    std::vector<std::uint8_t> labels(n, 0);
    cnn::Tensor dlogits;
    const cnn::LossResult loss = cnn::softmax_cross_entropy(logits, labels.data(), &dlogits);
    check(std::isfinite(loss.loss), "finite loss");
    m.backward(dlogits, ctx);
    for (const auto& p : m.params()) {
        if (!p.grad) continue;
        for (std::size_t i = 0; i < p.size; ++i) check(std::isfinite(p.grad[i]), "finite gradient of " + p.name);
    }
}

}  // namespace cnn_fuzz
