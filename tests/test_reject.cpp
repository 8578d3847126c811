#include <catch2/catch.hpp>

#include <cmath>

#include "cnn/base/error.hpp"
#include "cnn/base/rng.hpp"
#include "cnn/image/preprocess.hpp"
#include "cnn/io/idx.hpp"
#include "cnn/io/weights_io.hpp"
#include "cnn/model/loaded_model.hpp"
#include "cnn/model/reject.hpp"
#include "test_util.hpp"

using namespace cnn;

TEST_CASE("decide: a ten-output model rejects when its best digit is below the threshold") {
    std::vector<float> logits(10, 0.0f);
    logits[7] = 3.0f;
    logits[1] = 2.0f;
    RejectRule rule;
    Answer a = decide(logits.data(), 10, rule);
    CHECK(a.is_digit);
    CHECK(a.best == 7);
    CHECK(a.second == 1);
    // softmax by hand: e^3 / (e^3 + e^2 + 8)
    const double z = std::exp(3.0) + std::exp(2.0) + 8.0;
    CHECK(a.best_p == Approx(std::exp(3.0) / z));
    CHECK(a.second_p == Approx(std::exp(2.0) / z));
    CHECK(a.not_digit_p == 0.0f);
    REQUIRE(a.probabilities.size() == 10);
    rule.threshold = 0.6f;  // the best digit has 0.56
    CHECK_FALSE(decide(logits.data(), 10, rule).is_digit);
    // A temperature below 1 sharpens: the same logits at T = 0.5 give 0.75 and are accepted.
    rule.temperature = 0.5f;
    a = decide(logits.data(), 10, rule);
    CHECK(a.best_p > 0.7f);
    CHECK(a.is_digit);
}

TEST_CASE("decide: an eleven-output model rejects when \"not a digit\" wins") {
    std::vector<float> logits(11, 0.0f);
    logits[3] = 2.0f;
    logits[8] = 1.0f;
    logits[kNotDigitClass] = 2.5f;
    const Answer a = decide(logits.data(), 11, RejectRule{});
    CHECK_FALSE(a.is_digit);
    CHECK(a.best == 3);  // the two best guesses are digits, never the eleventh output
    CHECK(a.second == 8);
    CHECK(a.not_digit_p > a.best_p);
    // If it is a digit, a 3 with e^2 / (e^2 + e + 8).
    REQUIRE(a.digit_probabilities.size() == 10);
    CHECK(a.digit_probabilities[3] == Approx(std::exp(2.0) / (std::exp(2.0) + std::exp(1.0) + 8.0)));
    logits[kNotDigitClass] = 1.5f;
    CHECK(decide(logits.data(), 11, RejectRule{}).is_digit);
}

TEST_CASE("decide: with a not-digit gate, the eleventh output rejects only at the gate") {
    // Probabilities by construction: log-probabilities are logits. not a digit 0.6, digit 3 0.3,
    // digit 8 0.06, the other eight 0.005 each.
    std::vector<float> logits(11, std::log(0.005f));
    logits[3] = std::log(0.3f);
    logits[8] = std::log(0.06f);
    logits[kNotDigitClass] = std::log(0.6f);
    CHECK_FALSE(decide(logits.data(), 11, RejectRule{}).is_digit);  // without a gate "not a digit" wins
    RejectRule rule;
    rule.not_digit = 0.7f;  // 0.6 is below the gate: accepted, as a 3
    Answer a = decide(logits.data(), 11, rule);
    CHECK(a.is_digit);
    CHECK(a.best == 3);
    CHECK(a.not_digit_p == Approx(0.6f));
    CHECK(a.best_p == Approx(0.3f));
    // The threshold applies to the 3's share of the digits, 0.3 / 0.4 = 0.75, not to 0.3.
    rule.threshold = 0.7f;
    CHECK(decide(logits.data(), 11, rule).is_digit);
    rule.threshold = 0.8f;
    CHECK_FALSE(decide(logits.data(), 11, rule).is_digit);
    rule.threshold = 0.0f;
    rule.not_digit = 0.55f;  // 0.6 is above the gate: rejected
    CHECK_FALSE(decide(logits.data(), 11, rule).is_digit);
    // A ten-output model has no eleventh output: the gate changes nothing.
    rule.not_digit = 0.01f;
    CHECK(decide(logits.data(), 10, rule).is_digit);
    CHECK_THROWS_AS(decide(logits.data(), 11, RejectRule{1.0f, 0.5f, 1.5f}), Error);
    CHECK_THROWS_AS(decide(logits.data(), 11, RejectRule{1.0f, 0.5f, -0.1f}), Error);
}

TEST_CASE("decide refuses bad outputs and rules") {
    std::vector<float> logits(12, 0.0f);
    CHECK_THROWS_AS(decide(logits.data(), 12, RejectRule{}), Error);
    CHECK_THROWS_AS(decide(logits.data(), 10, RejectRule{0.0f, 0.5f}), Error);
    CHECK_THROWS_AS(decide(logits.data(), 10, RejectRule{1.0f, 1.5f}), Error);
    logits[4] = std::nanf("");
    CHECK_THROWS_AS(decide(logits.data(), 10, RejectRule{}), Error);
}

TEST_CASE("fit_temperature recovers the temperature that made the labels") {
    // Labels drawn from softmax(z / 2.5): the fitted temperature is close to 2.5.
    Rng rng(7);
    const int n = 20000, k = 10;
    std::vector<float> logits(std::size_t(n) * k);
    std::vector<std::uint8_t> labels(n);
    for (int i = 0; i < n; ++i) {
        double p[10], sum = 0;
        for (int j = 0; j < k; ++j) {
            logits[std::size_t(i) * k + j] = 4.0f * rng.normal();
            sum += p[j] = std::exp(logits[std::size_t(i) * k + j] / 2.5);
        }
        double u = rng.uniform() * sum;
        int y = 0;
        while (y < k - 1 && (u -= p[y]) > 0) ++y;
        labels[i] = std::uint8_t(y);
    }
    const float t = fit_temperature(logits, k, labels);
    CHECK(t == Approx(2.5).epsilon(0.05));
    // Calibrated, the error is small; at T = 1 (overconfident) it is large.
    CHECK(expected_calibration_error(logits, k, labels, t) < 0.02);
    CHECK(expected_calibration_error(logits, k, labels, 1.0f) > 0.1);
    CHECK_THROWS_AS(fit_temperature(logits, k, std::vector<std::uint8_t>(3, 0)), Error);
    CHECK_THROWS_AS(fit_temperature({1, 2}, 2, {2}), Error);
}

TEST_CASE("expected_calibration_error by hand") {
    // Two samples, both 0.9 sure (bin 13 of 15): one right, one wrong -> |0.5 - 0.9| = 0.4.
    const float l = std::log(9.0f);  // softmax([l, 0]) = [0.9, 0.1]
    const std::vector<float> logits = {l, 0, l, 0};
    CHECK(expected_calibration_error(logits, 2, {0, 1}) == Approx(0.4).margin(1e-6));
    CHECK(expected_calibration_error(logits, 2, {0, 0}) == Approx(0.1).margin(1e-6));
}

TEST_CASE("the reject rule round-trips through a weights file's metadata") {
    const RejectRule rule{1.375f, 0.62f};
    const std::string text = reject_rule_text(rule);
    CHECK(text == "temperature 1.375 threshold 0.62");
    const RejectRule back = reject_rule_from_metadata("{\"format\": \"x\", \"reject\": \"" + text + "\"}");
    CHECK(back.temperature == rule.temperature);
    CHECK(back.threshold == rule.threshold);
    const RejectRule none = reject_rule_from_metadata("{\"format\": \"x\"}");
    CHECK(none.temperature == 1.0f);
    CHECK(none.threshold == 0.0f);
    CHECK_THROWS_AS(parse_reject_rule("temperature -1 threshold 0.5"), Error);
    CHECK_THROWS_AS(parse_reject_rule("temperature 1 threshold"), Error);
    CHECK_THROWS_AS(parse_reject_rule("temperature 1 threshold 0.5 extra"), Error);
    CHECK_THROWS_AS(reject_rule_from_metadata("{\"reject\": \"nonsense\"}"), Error);
    // With a not-digit gate.
    const RejectRule gated{1.03f, 0.62f, 0.76f};
    CHECK(reject_rule_text(gated) == "temperature 1.03 threshold 0.62 not-digit 0.76");
    const RejectRule g = parse_reject_rule(reject_rule_text(gated));
    CHECK(g.temperature == gated.temperature);
    CHECK(g.threshold == gated.threshold);
    CHECK(g.not_digit == gated.not_digit);
    CHECK(back.not_digit == 0.0f);
    CHECK_THROWS_AS(parse_reject_rule("temperature 1 threshold 0.5 not-digit"), Error);
    CHECK_THROWS_AS(parse_reject_rule("temperature 1 threshold 0.5 not-digit 0"), Error);
    CHECK_THROWS_AS(parse_reject_rule("temperature 1 threshold 0.5 not-digit 2"), Error);
    CHECK_THROWS_AS(parse_reject_rule("temperature 1 threshold 0.5 gate 0.7"), Error);
    CHECK_THROWS_AS(parse_reject_rule("temperature 1 threshold 0.5 not-digit 0.7 more"), Error);
}

TEST_CASE("decide_probabilities agrees with decide on the logits") {
    Rng rng(3);
    for (int outputs : {10, 11}) {
        std::vector<float> logits(static_cast<std::size_t>(outputs)), probs(static_cast<std::size_t>(outputs));
        for (auto& v : logits) v = 3.0f * rng.normal();
        double sum = 0;
        for (int j = 0; j < outputs; ++j) sum += std::exp(double(logits[std::size_t(j)]));
        for (int j = 0; j < outputs; ++j) probs[std::size_t(j)] = float(std::exp(double(logits[std::size_t(j)])) / sum);
        for (const RejectRule rule : {RejectRule{1.7f, 0.3f}, RejectRule{1.7f, 0.3f, 0.4f}}) {
            const Answer a = decide(logits.data(), outputs, rule), b = decide_probabilities(probs.data(), outputs, rule);
            CHECK(a.is_digit == b.is_digit);
            CHECK(a.best == b.best);
            CHECK(a.second == b.second);
            CHECK(a.best_p == Approx(b.best_p).epsilon(1e-4));
            CHECK(a.not_digit_p == Approx(b.not_digit_p).epsilon(1e-4));
        }
    }
    const std::vector<float> bad(10, 2.0f);
    CHECK_THROWS_AS(decide_probabilities(bad.data(), 10, RejectRule{}), Error);
}

TEST_CASE("apply_gate: the reader answers, the gate model's \"not a digit\" vetoes") {
    // The reader (ten outputs) reads a 7 at 0.9; the gate model reads a 1, with "not a digit" at
    // 0.6 (probabilities by construction: log-probabilities are logits).
    std::vector<float> reader(10, std::log(0.1f / 9)), gate(11, std::log(0.02f));
    reader[7] = std::log(0.9f);
    gate[1] = std::log(0.22f);
    gate[kNotDigitClass] = std::log(0.6f);
    const Answer read = decide(reader.data(), 10, RejectRule{});
    REQUIRE(read.is_digit);
    RejectRule gate_rule;
    gate_rule.not_digit = 0.7f;  // 0.6 is below the gate: the reader's 7 stands
    Answer a = apply_gate(read, gate.data(), 11, gate_rule);
    CHECK(a.is_digit);
    CHECK(a.best == 7);
    CHECK(a.best_p == Approx(0.9f));
    CHECK(a.not_digit_p == Approx(0.6f));
    REQUIRE(a.probabilities.size() == 10);  // the reader's probabilities, not the gate model's
    CHECK(a.probabilities[7] == Approx(0.9f));
    // The gate's own threshold is about its own digits (the 1 has 0.22 / 0.4 = 0.55 of them) and
    // does not apply: the reader chooses the digit.
    gate_rule.threshold = 0.9f;
    CHECK(apply_gate(read, gate.data(), 11, gate_rule).is_digit);
    gate_rule.not_digit = 0.6f;  // at the gate: rejected, with the reader's two best guesses
    a = apply_gate(read, gate.data(), 11, gate_rule);
    CHECK_FALSE(a.is_digit);
    CHECK(a.best == 7);
    CHECK(a.second == read.second);
    // The gate model's temperature applies to its own outputs: at T = 3 "not a digit" falls to
    // about 0.28 (0.6^(1/3) against the ten digits' share) and the 7 is accepted again.
    gate_rule.temperature = 3.0f;
    a = apply_gate(read, gate.data(), 11, gate_rule);
    CHECK(a.is_digit);
    CHECK(a.not_digit_p < 0.35f);
    // A reader that rejects stays rejected, whatever the gate says.
    RejectRule strict;
    strict.threshold = 0.95f;
    const Answer unsure = decide(reader.data(), 10, strict);
    REQUIRE_FALSE(unsure.is_digit);
    CHECK_FALSE(apply_gate(unsure, gate.data(), 11, gate_rule).is_digit);
    // From probabilities, the same decisions.
    std::vector<float> gate_probs(11);
    double sum = 0;
    for (float v : gate) sum += std::exp(double(v));
    for (std::size_t j = 0; j < 11; ++j) gate_probs[j] = float(std::exp(double(gate[j])) / sum);
    for (float g : {0.55f, 0.65f}) {
        RejectRule r;
        r.not_digit = g;
        const Answer x = apply_gate(read, gate.data(), 11, r), y = apply_gate_probabilities(read, gate_probs.data(), 11, r);
        CHECK(x.is_digit == y.is_digit);
        CHECK(x.is_digit == (g > 0.6f));
        CHECK(x.not_digit_p == Approx(y.not_digit_p).epsilon(1e-4));
    }
}

TEST_CASE("apply_gate refuses a gate that cannot veto") {
    const std::vector<float> reader(10, 0.0f), ten(10, 0.0f);
    std::vector<float> gate(11, 0.0f);
    const Answer read = decide(reader.data(), 10, RejectRule{});
    RejectRule with_gate;
    with_gate.not_digit = 0.5f;
    CHECK_THROWS_WITH(apply_gate(read, ten.data(), 10, with_gate), Catch::Contains("needs a model with 11 outputs"));
    CHECK_THROWS_WITH(apply_gate(read, gate.data(), 11, RejectRule{}), Catch::Contains("no not-digit gate"));
    gate[2] = std::nanf("");
    CHECK_THROWS_AS(apply_gate(read, gate.data(), 11, with_gate), Error);
}

namespace {

LoadedModel shipped(const std::string& name) {
    std::string metadata;
    Model m = load_weights(std::string(CNN_SOURCE_DIR) + "/weights/" + name, &metadata);
    return LoadedModel(std::move(m), metadata);
}

// Image i of `d` (28x28, bytes or floats) as floats.
std::vector<float> image(const Dataset& d, int i) {
    std::vector<float> px(d.shape.size());
    d.copy_images(i, 1, px.data());
    return px;
}

}  // namespace

TEST_CASE("require_gate_model takes only a calibrated eleven-output model") {
    LoadedModel ten(Model::from_spec("input 28x28x1 | flatten | dense 10", 1), R"({"reject": "temperature 1 threshold 0"})");
    LoadedModel eleven(Model::from_spec("input 28x28x1 | flatten | dense 11", 1), R"({"reject": "temperature 1 threshold 0"})");
    CHECK_THROWS_WITH(require_gate_model(ten), Catch::Contains("it has 10 outputs"));
    CHECK_THROWS_WITH(require_gate_model(eleven), Catch::Contains("no not-digit gate"));
    eleven.set_metadata(R"({"reject": "temperature 1 threshold 0 not-digit 0.8"})");
    CHECK_NOTHROW(require_gate_model(eleven));
    std::vector<float> p(10, 0.1f), g(11, 1.0f / 11);
    CHECK_THROWS_WITH(ten.decide(p.data(), 10, ten, g.data(), 11), Catch::Contains("it has 10 outputs"));
    CHECK_THROWS_WITH(ten.decide(p.data(), 10, eleven, g.data(), 10),
                      Catch::Contains("expected 11 gate probabilities, got 10"));
    const Answer a = ten.decide(p.data(), 10, eleven, g.data(), 11);
    CHECK(a.is_digit);  // 1/11 "not a digit" is below the gate of 0.8
    CHECK(a.not_digit_p == Approx(1.0f / 11));
}

TEST_CASE("the shipped robust model gated by robust-nd keeps MNIST digits and rejects pairs of digits") {
    const std::string ti = cnn_test::mnist_path("train-images-idx3-ubyte");
    const std::string tl = cnn_test::mnist_path("train-labels-idx1-ubyte");
    if (ti.empty() || tl.empty()) {
        cnn_test::missing_data("MNIST (run scripts/get-mnist.sh)");
        return;
    }
    LoadedModel reader = shipped("robust.dcnn"), gate = shipped("robust-nd.dcnn");
    REQUIRE(reader.model().classes() == 10);
    REQUIRE_NOTHROW(require_gate_model(gate));
    // MNIST's held-out split (never trained on), its first 1,000 digits.
    const Dataset held = split_validation(load_idx_dataset(ti, tl, 10, PixelStorage::Bytes), 0.1).second;
    const int n = 1000;
    std::vector<float> p(10), q(11);
    int right = 0, own = 0;
    for (int i = 0; i < n; ++i) {
        const std::vector<float> px = image(held, i);
        reader.model().predict(px.data(), 1, p.data());
        gate.model().predict(px.data(), 1, q.data());
        const Answer a = reader.decide(p.data(), 10, gate, q.data(), 11);
        right += a.is_digit && a.best == held.labels[std::size_t(i)];
        own += a.best == reader.decide(p.data(), 10).best;  // the reader chooses the digit
    }
    INFO("held-out MNIST digits accepted and read right: " << right << " of " << n);
    CHECK(right >= 985);  // issue 12: rejecting costs at most ~1 point of real digits
    CHECK(own == n);
    // Two held-out digits side by side ("42"), through the drawing preprocessing: the robust model
    // alone reads each as some digit; gated, at least 90% are "not a digit" (issue 12's target).
    const int pairs = 200;
    int rejected = 0, rejected_alone = 0;
    for (int i = 0; i < pairs; ++i) {
        const std::vector<float> a = image(held, 2 * i), b = image(held, 2 * i + 1);
        GrayImage two;
        two.width = 56;
        two.height = 28;
        two.pixels.assign(56 * 28, 0.0f);
        for (int y = 0; y < 28; ++y)
            for (int x = 0; x < 28; ++x) {
                two.pixels[std::size_t(y) * 56 + std::size_t(x)] = a[std::size_t(y) * 28 + std::size_t(x)];
                two.pixels[std::size_t(y) * 56 + 28 + std::size_t(x)] = b[std::size_t(y) * 28 + std::size_t(x)];
            }
        const Preprocessed in = preprocess_digit(two);
        REQUIRE_FALSE(in.empty);
        reader.model().predict(in.pixels.data(), 1, p.data());
        gate.model().predict(in.pixels.data(), 1, q.data());
        rejected += !reader.decide(p.data(), 10, gate, q.data(), 11).is_digit;
        rejected_alone += !reader.decide(p.data(), 10).is_digit;
    }
    INFO("pairs rejected: " << rejected << " of " << pairs << " gated, " << rejected_alone << " alone");
    CHECK(rejected_alone == 0);
    CHECK(rejected >= 180);
}
