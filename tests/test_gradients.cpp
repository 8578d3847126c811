// Finite-difference gradient checks for every layer (one harness for all), away from kinks.
#include <catch2/catch.hpp>

#include "cnn/conv2d.hpp"
#include "cnn/dense.hpp"
#include "cnn/dropout.hpp"
#include "cnn/flatten.hpp"
#include "cnn/maxpool2d.hpp"
#include "cnn/relu.hpp"
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
