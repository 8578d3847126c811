// digit-cnn against PyTorch 1.13 on the seed model's architecture (narrower layers): logits, loss,
// every gradient and the weights after one Adam step, from a fixture that
// tests/golden/make_fixture.py wrote (its docstring says how layouts, padding, dropout and Adam's
// epsilon are matched).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "cnn/base/error.hpp"
#include "cnn/io/file_io.hpp"
#include "cnn/model/loss.hpp"
#include "cnn/model/model.hpp"
#include "cnn/training/optimizer.hpp"

using namespace cnn;

namespace {

struct GoldenTensor {
    std::string name;
    std::vector<float> values, grads, after_step;
};

struct Golden {
    std::string spec;
    int n = 0;
    Shape shape;
    std::vector<float> images;
    std::vector<std::uint8_t> labels;
    int classes = 0;
    std::vector<float> logits;
    double loss = 0;
    double lr = 0, beta1 = 0, beta2 = 0, eps = 0;
    std::vector<GoldenTensor> tensors;
};

// Reads the fixture's fields in order; every read is bounds-checked.
class Reader {
public:
    explicit Reader(std::vector<std::uint8_t> data) : data_(std::move(data)) {}
    template <typename T>
    T get() {
        T v;
        std::memcpy(&v, bytes(sizeof(T)), sizeof(T));
        return v;
    }
    std::vector<float> floats(std::size_t n) {
        std::vector<float> v(n);
        if (n) std::memcpy(v.data(), bytes(n * sizeof(float)), n * sizeof(float));
        return v;
    }
    std::string text() {
        const auto n = get<std::uint32_t>();
        return std::string(reinterpret_cast<const char*>(bytes(n)), n);
    }
    const std::uint8_t* bytes(std::size_t n) {
        if (n > data_.size() - pos_) throw Error("golden fixture truncated at byte " + std::to_string(pos_));
        pos_ += n;
        return data_.data() + pos_ - n;
    }
    bool at_end() const { return pos_ == data_.size(); }

private:
    std::vector<std::uint8_t> data_;
    std::size_t pos_ = 0;
};

Golden load_golden() {
    const char* root = std::getenv("CNN_SOURCE_DIR");
    Reader r(read_file(std::string(root ? root : CNN_SOURCE_DIR) + "/tests/golden/seed_small.bin"));
    REQUIRE(std::string(reinterpret_cast<const char*>(r.bytes(8)), 8) == "DCNNGOLD");
    REQUIRE(r.get<std::uint32_t>() == 1);  // version
    Golden g;
    g.spec = r.text();
    g.n = int(r.get<std::uint32_t>());
    g.shape.h = int(r.get<std::uint32_t>());
    g.shape.w = int(r.get<std::uint32_t>());
    g.shape.c = int(r.get<std::uint32_t>());
    g.images = r.floats(std::size_t(g.n) * g.shape.size());
    const std::uint8_t* labels = r.bytes(std::size_t(g.n));
    g.labels.assign(labels, labels + g.n);
    g.classes = int(r.get<std::uint32_t>());
    g.logits = r.floats(std::size_t(g.n) * std::size_t(g.classes));
    g.loss = r.get<double>();
    g.lr = r.get<double>();
    g.beta1 = r.get<double>();
    g.beta2 = r.get<double>();
    g.eps = r.get<double>();
    const auto count = r.get<std::uint32_t>();
    for (std::uint32_t i = 0; i < count; ++i) {
        GoldenTensor t;
        t.name = r.text();
        const auto size = r.get<std::uint32_t>();
        t.values = r.floats(size);
        t.grads = r.floats(size);
        t.after_step = r.floats(size);
        g.tensors.push_back(std::move(t));
    }
    REQUIRE(r.at_end());
    return g;
}

// Largest |a - b| / max(1, |b|): absolute for values up to 1, relative beyond.
double max_difference(const float* a, const std::vector<float>& b) {
    double worst = 0;
    for (std::size_t i = 0; i < b.size(); ++i)
        worst = std::max(worst, std::fabs(double(a[i]) - double(b[i])) / std::max(1.0, std::fabs(double(b[i]))));
    return worst;
}

double max_abs(const std::vector<float>& v) {
    double m = 0;
    for (float x : v) m = std::max(m, std::fabs(double(x)));
    return m;
}

}  // namespace

TEST_CASE("golden: logits, loss, gradients and one Adam step match PyTorch's") {
    const Golden g = load_golden();
    Model m = Model::from_spec(g.spec, 1);
    REQUIRE(m.input_shape() == g.shape);
    REQUIRE(m.classes() == g.classes);
    auto params = m.params();
    REQUIRE(params.size() == g.tensors.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
        INFO(params[i].name);
        REQUIRE(params[i].name == g.tensors[i].name);
        REQUIRE(params[i].size == g.tensors[i].values.size());
        std::copy(g.tensors[i].values.begin(), g.tensors[i].values.end(), params[i].value);
    }

    Tensor x(g.n, g.shape);
    std::copy(g.images.begin(), g.images.end(), x.data());
    Rng rng(1);  // dropout 0 draws nothing
    Context ctx;
    ctx.mode = Mode::Train;
    ctx.rng = &rng;
    const Tensor& logits = m.forward(x, ctx);
    REQUIRE(logits.size() == g.logits.size());
    const double logit_diff = max_difference(logits.data(), g.logits);
    INFO("logits: max difference " << logit_diff << " (largest |logit| " << max_abs(g.logits) << ")");
    CHECK(logit_diff < 1e-5);
    Tensor dlogits;
    const LossResult loss = softmax_cross_entropy(logits, g.labels.data(), &dlogits);
    CHECK(std::fabs(loss.loss - g.loss) < 1e-5);

    m.backward(dlogits, ctx);
    for (std::size_t i = 0; i < params.size(); ++i) {
        const GoldenTensor& t = g.tensors[i];
        // Relative to the tensor's largest gradient, so that small gradients are held to account.
        const double scale = max_abs(t.grads);
        const double diff = max_difference(params[i].grad, t.grads);
        INFO(t.name << ": gradient max difference " << diff << ", largest |gradient| " << scale);
        CHECK(scale > 1e-3);
        CHECK(diff < 1e-5 * std::max(scale, 1e-2));
    }

    Adam adam(float(g.lr), float(g.beta1), float(g.beta2), float(g.eps));
    adam.step(params);
    for (std::size_t i = 0; i < params.size(); ++i) {
        const GoldenTensor& t = g.tensors[i];
        const double diff = max_difference(params[i].value, t.after_step);
        INFO(t.name << ": after one Adam step, max difference " << diff);
        CHECK(diff < 1e-5);
        // The step moved the weights by about lr (Adam's first step is near lr * sign(gradient)):
        // comparing with the weights before it would fail.
        CHECK(max_difference(params[i].value, t.values) > 5e-4);
    }
}
