// Softmax cross-entropy (value, stability, gradient) and the optimizers' update rules.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "cnn/base/error.hpp"
#include "cnn/model/loss.hpp"
#include "cnn/model/metrics.hpp"
#include "cnn/training/optimizer.hpp"
#include "test_util.hpp"

using namespace cnn;

TEST_CASE("softmax cross-entropy value and stability") {
    Tensor z(2, {1, 1, 3});
    const float vals[] = {1, 2, 3, 1000, 0, -1000};  // second row would overflow a naive exp
    std::copy(vals, vals + 6, z.data());
    const std::uint8_t labels[] = {2, 1};
    Tensor dz;
    const LossResult r = softmax_cross_entropy(z, labels, &dz);
    const double l0 = -std::log(std::exp(3.0) / (std::exp(1.0) + std::exp(2.0) + std::exp(3.0)));
    const double l1 = 1000.0;  // -log softmax = 1000 - 0 + log(1 + e^-1000 + ...)
    CHECK(r.loss == Approx((l0 + l1) / 2).epsilon(1e-6));
    CHECK(r.correct == 1);
    for (std::size_t i = 0; i < dz.size(); ++i) CHECK(std::isfinite(dz[i]));
    // Gradient rows sum to zero (softmax minus a distribution).
    CHECK(dz[0] + dz[1] + dz[2] == Approx(0).margin(1e-7));
}

TEST_CASE("label smoothing: the loss against figures worked out by hand") {
    // Keras: targets y * (1 - s) + s / k. With s = 0.3 and k = 3: 0.8 for the label, 0.1 for the
    // others. The targets sum to 1, so a sample's loss is logsumexp(z) - sum(target * z):
    //   z = (2, 1, 0), label 0:       log(e^2 + e + 1) - (0.8 * 2 + 0.1 * 1)        = 2.4076059644 - 1.7
    //   z = (0.5, -1.5, 3), label 2:  log(e^0.5 + e^-1.5 + e^3) - (0.05 - 0.15 + 2.4) = 3.0891036822 - 2.3
    Tensor z(2, {1, 1, 3});
    const float vals[] = {2, 1, 0, 0.5f, -1.5f, 3};  // exact in float
    std::copy(vals, vals + 6, z.data());
    const std::uint8_t labels[] = {0, 2};
    Tensor dz;
    const LossResult r = softmax_cross_entropy(z, labels, &dz, 0.3f);
    const double first = 0.7076059644443802, second = 0.789103682157075;
    // 0.3f is 0.30000001192: the targets are off by ~4e-9, the mean loss by 2.0e-8.
    CHECK(r.loss == Approx((first + second) / 2).epsilon(0).margin(3e-8));
    CHECK(r.correct == 2);
    // The gradient is (softmax - targets) / n; softmax(2, 1, 0) = (0.66524096, 0.24472847, 0.09003057).
    CHECK(dz[0] == Approx((0.665240955774822 - 0.8) / 2).epsilon(0).margin(1e-7));
    CHECK(dz[1] == Approx((0.2447284710547977 - 0.1) / 2).epsilon(0).margin(1e-7));
    CHECK(dz[2] == Approx((0.09003057317038048 - 0.1) / 2).epsilon(0).margin(1e-7));
    // Without smoothing, the same first sample costs log(e^2 + e + 1) - 2.
    const LossResult plain = softmax_cross_entropy(z, labels, nullptr, 0.0f);
    CHECK(plain.loss == Approx((0.40760596444438013 + (3.089103682157075 - 3.0)) / 2).epsilon(0).margin(1e-12));
}

TEST_CASE("gradient check: softmax cross-entropy, with and without label smoothing") {
    for (float smoothing : {0.0f, 0.1f}) {
        Rng rng(3);
        Tensor z(4, {1, 1, 10});
        cnn_test::fill_random(z, rng, -3, 3);
        const std::uint8_t labels[] = {0, 9, 4, 4};
        Tensor dz;
        softmax_cross_entropy(z, labels, &dz, smoothing);
        const float h = 1e-2f;
        for (std::size_t i = 0; i < z.size(); ++i) {
            const float saved = z[i];
            z[i] = saved + h;
            const double lp = softmax_cross_entropy(z, labels, nullptr, smoothing).loss;
            z[i] = saved - h;
            const double lm = softmax_cross_entropy(z, labels, nullptr, smoothing).loss;
            z[i] = saved;
            CHECK(dz[i] == Approx((lp - lm) / (2 * h)).margin(2e-4));
        }
    }
}

TEST_CASE("soft targets (distillation): the loss and gradient against figures worked out by hand") {
    // z = (2, 1, 0), label 0, teacher (0.25, 0.5, 0.25), weight 0.5: target
    // q = 0.5 * (1, 0, 0) + 0.5 * (0.25, 0.5, 0.25) = (0.625, 0.25, 0.125);
    // loss = logsumexp(z) - q.z = 2.4076059644443802 - (1.25 + 0.25) = 0.9076059644443802.
    Tensor z(1, {1, 1, 3});
    const float vals[] = {2, 1, 0};
    std::copy(vals, vals + 3, z.data());
    const std::uint8_t label[] = {0};
    const float teacher[] = {0.25f, 0.5f, 0.25f};
    Tensor dz;
    const LossResult r = softmax_cross_entropy(z, label, &dz, 0.0f, teacher, 0.5f);
    CHECK(r.loss == Approx(0.9076059644443802).epsilon(0).margin(1e-12));
    CHECK(dz[0] == Approx(0.665240955774822 - 0.625).epsilon(0).margin(1e-7));
    CHECK(dz[1] == Approx(0.2447284710547977 - 0.25).epsilon(0).margin(1e-7));
    CHECK(dz[2] == Approx(0.09003057317038048 - 0.125).epsilon(0).margin(1e-7));
    // Weight 1 ignores the label; weight 0 (or no targets) is the plain loss, bit for bit.
    const LossResult only = softmax_cross_entropy(z, label, nullptr, 0.0f, teacher, 1.0f);
    CHECK(only.loss == Approx(2.4076059644443802 - (0.5 + 0.5)).epsilon(0).margin(1e-12));
    Tensor d0, d1;
    const LossResult none = softmax_cross_entropy(z, label, &d0, 0.1f);
    const LossResult zero = softmax_cross_entropy(z, label, &d1, 0.1f, teacher, 0.0f);
    CHECK(none.loss == zero.loss);
    for (std::size_t i = 0; i < d0.size(); ++i) CHECK(d0[i] == d1[i]);
}

TEST_CASE("gradient check: softmax cross-entropy with soft targets and label smoothing") {
    Rng rng(5);
    Tensor z(3, {1, 1, 10});
    cnn_test::fill_random(z, rng, -3, 3);
    const std::uint8_t labels[] = {1, 7, 7};
    std::vector<float> soft(30);
    for (int s = 0; s < 3; ++s) softmax(z.sample(s), 10, soft.data() + 10 * s);  // any distribution
    std::reverse(soft.begin(), soft.end());
    Tensor dz;
    softmax_cross_entropy(z, labels, &dz, 0.1f, soft.data(), 0.4f);
    const float h = 1e-2f;
    for (std::size_t i = 0; i < z.size(); ++i) {
        const float saved = z[i];
        z[i] = saved + h;
        const double lp = softmax_cross_entropy(z, labels, nullptr, 0.1f, soft.data(), 0.4f).loss;
        z[i] = saved - h;
        const double lm = softmax_cross_entropy(z, labels, nullptr, 0.1f, soft.data(), 0.4f).loss;
        z[i] = saved;
        CHECK(dz[i] == Approx((lp - lm) / (2 * h)).margin(2e-4));
    }
}

TEST_CASE("Adam follows the Keras update rule") {
    std::vector<float> value{1.0f, -2.0f}, grad{0.5f, -0.25f};
    std::vector<ParamRef> params{{"p", {2}, value.data(), grad.data(), 2, true}};
    Adam adam(0.1f);
    double m[2] = {0, 0}, v[2] = {0, 0}, p[2] = {1.0, -2.0};
    for (int t = 1; t <= 3; ++t) {
        adam.step(params);
        const double lr_t = 0.1 * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t));
        for (int i = 0; i < 2; ++i) {
            m[i] = 0.9 * m[i] + 0.1 * grad[i];
            v[i] = 0.999 * v[i] + 0.001 * grad[i] * grad[i];
            p[i] -= lr_t * m[i] / (std::sqrt(v[i]) + 1e-7);
            CHECK(value[i] == Approx(p[i]).epsilon(1e-5));
        }
    }
    // State round-trips exactly: a restored optimizer continues identically.
    Adam copy(0.1f);
    copy.set_state(adam.state());
    std::vector<float> v2 = value;
    std::vector<ParamRef> params2{{"p", {2}, v2.data(), grad.data(), 2, true}};
    adam.step(params);
    copy.step(params2);
    CHECK(value == v2);
}

TEST_CASE("SGD with momentum follows v = m*v - lr*g; p += v") {
    std::vector<float> value{1.0f}, grad{2.0f};
    std::vector<ParamRef> params{{"p", {1}, value.data(), grad.data(), 1, true}};
    SGD sgd(0.1f, 0.9f);
    sgd.step(params);  // v = -0.2
    CHECK(value[0] == Approx(0.8f));
    sgd.step(params);  // v = 0.9 * -0.2 - 0.2 = -0.38
    CHECK(value[0] == Approx(0.42f));
    CHECK_THROWS_WITH(make_optimizer("rmsprop", 0.1f), Catch::Contains("unknown optimizer"));
    CHECK_THROWS_WITH(make_optimizer("adam", -1.0f), Catch::Contains("learning rate"));
}

TEST_CASE("score_logits scores rows of logits as evaluate does, and names a size mismatch") {
    // Three rows of three classes: right, wrong (truth 0, read 2), right.
    const std::vector<float> logits = {2, 0, 0, 0, 1, 3, -1, 4, 0};
    const std::vector<std::uint8_t> labels = {0, 0, 1};
    const Evaluation ev = score_logits(logits, 3, labels);
    CHECK(ev.n == 3);
    CHECK(ev.predictions == std::vector<int>{0, 2, 1});
    CHECK(ev.accuracy == Approx(2.0 / 3));
    CHECK(ev.count(0, 2) == 1);
    CHECK(ev.count(1, 1) == 1);
    CHECK(ev.misclassified(labels) == std::vector<int>{1});
    // Mean cross-entropy, by hand: -log softmax(z)[label] per row.
    const auto nll = [](std::vector<double> z, int y) {
        double s = 0;
        for (double v : z) s += std::exp(v);
        return std::log(s) - z[std::size_t(y)];
    };
    CHECK(ev.loss == Approx((nll({2, 0, 0}, 0) + nll({0, 1, 3}, 0) + nll({-1, 4, 0}, 1)) / 3).epsilon(1e-12));
    CHECK(ev.logits == logits);

    // evaluate() in chunks reads as the model's probabilities say, one image at a time.
    Model m = Model::from_spec("input 1x2x1 | flatten | dense 3", 5);
    const std::vector<std::uint8_t> px = {10, 200, 90, 30, 250, 250, 0, 70};
    const std::vector<std::uint8_t> y = {0, 1, 2, 1};
    const Dataset d = make_dataset(4, {1, 2, 1}, px.data(), y.data(), 3);
    const Evaluation direct = evaluate(m, d, nullptr, 3);  // two chunks: 3 and 1
    double loss = 0;
    for (int i = 0; i < 4; ++i) {
        const std::vector<float> p = m.predict({px[2 * i] / 255.0f, px[2 * i + 1] / 255.0f}, 1);
        CHECK(direct.predictions[std::size_t(i)] == argmax(p.data(), 3));
        loss -= std::log(double(p[y[std::size_t(i)]])) / 4;
    }
    CHECK(direct.loss == Approx(loss).epsilon(1e-5));

    CHECK_THROWS_WITH(score_logits({1, 2, 3}, 3, labels), Catch::Contains("3 logits for 3 labels of 3 classes"));
    CHECK_THROWS_AS(score_logits(logits, 3, {0, 0, 3}), Error);
}
