// Finite-difference gradient checks for every layer (one harness for all), away from kinks.
#include <catch2/catch.hpp>

#include "cnn/layers/conv2d.hpp"
#include "cnn/layers/dense.hpp"
#include "cnn/layers/dropout.hpp"
#include "cnn/layers/flatten.hpp"
#include "cnn/layers/maxpool2d.hpp"
#include "cnn/layers/relu.hpp"
#include "cnn/model/model.hpp"
#include "test_util.hpp"

using namespace cnn;

namespace {
void check_layer(Layer& layer, Shape in, int n, float min_abs = 0.0f, bool check_input = true) {
    Rng rng(11);
    layer.build(in, rng);
    Tensor x(n, in);
    cnn_test::fill_random(x, rng, -1.0f, 1.0f, min_abs);
    const auto r = cnn_test::grad_check(layer, x, 7, 60, 1e-2f, check_input);
    INFO(layer.spec() << " on " << in.str() << ": input error " << r.max_input_error << ", param error "
                      << r.max_param_error);
    CHECK(r.checked > 0);
    CHECK(r.max_input_error < 2e-2);
    CHECK(r.max_param_error < 2e-2);
}
}  // namespace

TEST_CASE("gradient check: conv2d (even kernel same, odd kernel valid, strided)") {
    Conv2D a({4, 4, 1, Padding::Same});
    check_layer(a, {8, 8, 2}, 2);
    Conv2D b({3, 3, 1, Padding::Valid});
    check_layer(b, {6, 7, 3}, 2);
    Conv2D c({2, 3, 2, Padding::Same});
    check_layer(c, {7, 7, 2}, 3);
    Conv2D first({3, 2, 1, Padding::Same});  // as a first layer: no input gradient
    check_layer(first, {5, 5, 1}, 2, 0.0f, false);
}

TEST_CASE("gradient check: dense") {
    Dense d(6);
    check_layer(d, {1, 1, 20}, 4);
}

TEST_CASE("gradient check: relu away from zero") {
    ReLU r;
    check_layer(r, {3, 3, 4}, 2, 0.05f);  // |x| >= 0.05 > h: no sign flips under perturbation
}

TEST_CASE("gradient check: maxpool with well separated values") {
    // Values on a grid with gaps of 0.05 > 2h cannot swap order under perturbation.
    for (auto o : {MaxPoolOptions{2, 0, Padding::Valid}, MaxPoolOptions{3, 2, Padding::Same}}) {
        MaxPool2D p(o);
        Rng rng(4);
        const Shape in{6, 7, 2};
        p.build(in, rng);
        Tensor x(2, in);
        std::vector<float> vals(x.size());
        for (std::size_t i = 0; i < vals.size(); ++i) vals[i] = 0.05f * float(i);
        for (std::size_t i = vals.size(); i > 1; --i) std::swap(vals[i - 1], vals[rng.below(i)]);
        std::copy(vals.begin(), vals.end(), x.data());
        const auto r = cnn_test::grad_check(p, x, 7, 60, 1e-2f);
        INFO(p.spec() << " error " << r.max_input_error);
        CHECK(r.max_input_error < 1e-2);
    }
}

TEST_CASE("gradient check: flatten and dropout (fixed mask)") {
    Flatten f;
    check_layer(f, {2, 3, 4}, 2);
    Dropout d(0.3f);
    check_layer(d, {1, 1, 50}, 3);
}

TEST_CASE("gradient check: a whole model (conv + fused ReLU, pool, batch norm, flatten, dense, dropout)") {
    // The layers chained as training runs them: ReLUs fused into conv and dense, a standalone one
    // after batch norm (batch statistics, as in training), dropout with one fixed mask; the loss
    // is the mean softmax cross-entropy, its gradient going through Model::backward.
    const char* spec = "input 8x8x2 | conv 4 k3 same | relu | maxpool 2 | conv 6 k2 same | batchnorm | relu | "
                       "maxpool 2 | flatten | dense 8 | relu | dropout 0.5 | dense 3";
    // Dropout 0 takes the same path as inference (the identity), forward and backward.
    for (const std::string dropout : {"dropout 0.5", "dropout 0"}) {
        std::string s = spec;
        s.replace(s.find("dropout 0.5"), 11, dropout);
        Model m = Model::from_spec(s, 3);
        Rng rng(5);
        for (auto& p : m.params())  // non-zero biases and batch-norm betas: no symmetric ties
            if (p.trainable && p.shape.size() == 1)
                for (std::size_t i = 0; i < p.size; ++i) p.value[i] = rng.uniform(-0.3f, 0.3f);
        Tensor x(6, m.input_shape());
        cnn_test::fill_random(x, rng);
        const std::vector<std::uint8_t> labels{0, 1, 2, 0, 1, 2};
        const auto r = cnn_test::grad_check_model(m, x, labels, 7, 40, 1e-3f);
        INFO(s << ": " << r.checked << " checked, " << r.skipped << " skipped at a kink; worst " << r.worst);
        CHECK(r.checked >= 170);  // of 177 picked
        CHECK(r.skipped <= 7);
        CHECK(r.max_error < 1e-2);
    }
}

TEST_CASE("gradient check: residual connections (nested, from the input, after an add, batch norm in a branch)") {
    // Every parameter before a skip gets its gradient through both the branch and the shortcut,
    // so a shortcut gradient lost or counted twice shows in the kernels of conv1 and conv2.
    const char* spec = "input 6x6x2 | skip | conv 2 k3 same | add | conv 4 k3 same | skip | conv 4 k3 same | "
                       "batchnorm | skip | conv 4 k1 | add | conv 4 k3 same | add | skip | conv 4 k1 | "
                       "add | flatten | dense 3";
    Model m = Model::from_spec(spec, 3);
    Rng rng(5);
    for (auto& p : m.params())
        if (p.trainable && p.shape.size() == 1)
            for (std::size_t i = 0; i < p.size; ++i) p.value[i] = rng.uniform(-0.3f, 0.3f);
    Tensor x(5, m.input_shape());
    cnn_test::fill_random(x, rng);
    const std::vector<std::uint8_t> labels{0, 1, 2, 0, 1};
    const auto r = cnn_test::grad_check_model(m, x, labels, 7, 40, 1e-2f);
    INFO(spec << ": " << r.checked << " checked, " << r.skipped << " skipped at a kink; worst " << r.worst);
    CHECK(r.checked >= 200);
    CHECK(r.skipped <= 10);
    CHECK(r.max_error < 1e-2);
}
