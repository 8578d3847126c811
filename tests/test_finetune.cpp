// Fine-tuning on a user's corrections: it teaches a style the model misreads, replay keeps what the
// model knew, it is deterministic for a seed whatever the threads, and it refuses bad input; and on
// the shipped robust model with real MNIST, five seven-segment 6s are enough.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "cnn/base/error.hpp"
#include "cnn/image/conventions.hpp"
#include "cnn/image/pad.hpp"
#include "cnn/io/idx.hpp"
#include "cnn/io/weights_io.hpp"
#include "cnn/model/metrics.hpp"
#include "cnn/training/finetune.hpp"
#include "cnn/training/trainer.hpp"
#include "test_util.hpp"

using namespace cnn;

namespace {

const char* kSpec = "input 12x12x1 | conv 8 k3 same | batchnorm | relu | maxpool 2 | flatten | dense 32 | relu | dense 4";
constexpr int kSide = 12;

// A style the bars never showed: a hollow square of random size and place, faint noise around.
Dataset squares(int n, std::uint64_t seed, int label) {
    Rng rng(seed);
    Dataset d;
    d.n = n;
    d.shape = {kSide, kSide, 1};
    d.images.assign(std::size_t(n) * kSide * kSide, 0.0f);
    d.labels.assign(std::size_t(n), std::uint8_t(label));
    for (int s = 0; s < n; ++s) {
        float* img = d.images.data() + std::size_t(s) * kSide * kSide;
        const int half = 2 + int(rng.below(2)), cx = 5 + int(rng.below(2)), cy = 5 + int(rng.below(2));
        for (int t = -half; t <= half; ++t) {
            img[(cy - half) * kSide + cx + t] = img[(cy + half) * kSide + cx + t] = 1.0f;
            img[(cy + t) * kSide + cx - half] = img[(cy + t) * kSide + cx + half] = 1.0f;
        }
        for (int i = 0; i < kSide * kSide; ++i) img[i] = std::min(1.0f, img[i] + rng.uniform(0.0f, 0.2f));
    }
    return d;
}

// A model that reads the bars well, trained once for all cases.
Model& base_model() {
    static Model m = [] {
        Model model = Model::from_spec(kSpec, 3);
        TrainOptions o;
        o.epochs = 5;
        o.batch_size = 32;
        o.patience = 0;
        fit(model, cnn_test::synthetic_bars(1200, 4, 1), nullptr, o);
        return model;
    }();
    return m;
}

Model copy_of(Model& m) {
    Model c = Model::from_spec(m.spec());
    c.set_values(m.get_values());
    return c;
}

// The class the model gives the squares least often: the label that makes them a misread style.
int least_read_class(Model& m) {
    const Evaluation ev = evaluate(m, squares(100, 9, 0));
    std::vector<int> counts(4, 0);
    for (int p : ev.predictions) ++counts[std::size_t(p)];
    return int(std::min_element(counts.begin(), counts.end()) - counts.begin());
}

}  // namespace

TEST_CASE("fine-tuning on five corrections teaches a misread style and replay keeps the rest") {
    Model& base = base_model();
    const Dataset bars_test = cnn_test::synthetic_bars(400, 4, 2);
    const double bars_before = evaluate(base, bars_test).accuracy;
    REQUIRE(bars_before > 0.95);
    const int label = least_read_class(base);
    const Dataset mine = squares(5, 11, label), others = squares(200, 12, label);
    const double style_before = evaluate(base, others).accuracy;
    INFO("squares labelled " << label << ": read right " << style_before << " before");
    REQUIRE(style_before < 0.3);

    const Dataset replay = cnn_test::synthetic_bars(1200, 4, 1);
    FineTuneOptions o;
    o.steps = 60;
    Model m = copy_of(base);
    const FineTuneResult r = fine_tune(m, mine, replay, o);
    CHECK(r.steps == 60);
    CHECK_FALSE(r.cancelled);
    CHECK(r.examples_right_before < 5);
    CHECK(r.examples_right_after == 5);
    CHECK(r.last_loss < r.first_loss);
    const double style_after = evaluate(m, others).accuracy, bars_after = evaluate(m, bars_test).accuracy;
    INFO("style " << style_before << " -> " << style_after << ", bars " << bars_before << " -> " << bars_after);
    CHECK(style_after > 0.9);
    CHECK(bars_after >= bars_before - 0.02);

    // Without replay, the same corrections (every batch the user's) make the model forget the bars.
    Model alone = copy_of(base);
    fine_tune(alone, mine, Dataset{}, o);
    const double bars_alone = evaluate(alone, bars_test).accuracy;
    INFO("bars without replay: " << bars_alone);
    CHECK(bars_alone < bars_after - 0.2);
}

namespace {

// The samples of `d` whose label is (keep) or is not (!keep) `label`.
Dataset with_label(const Dataset& d, int label, bool keep) {
    Dataset out;
    out.shape = d.shape;
    out.classes = d.classes;
    const std::size_t size = d.shape.size();
    for (int i = 0; i < d.n; ++i)
        if ((d.labels[std::size_t(i)] == label) == keep) {
            out.images.insert(out.images.end(), d.images.begin() + std::ptrdiff_t(i * size),
                              d.images.begin() + std::ptrdiff_t((i + 1) * size));
            out.labels.push_back(d.labels[std::size_t(i)]);
            ++out.n;
        }
    return out;
}

}  // namespace

// The page's "not a digit" gate: replay holds digits only, so a class that is in no replayed batch
// (here class 3 plays "not a digit") is forgotten unless a second pool puts it in every batch.
TEST_CASE("negatives at a fixed share of each batch keep a class the replay lacks") {
    Model& base = base_model();
    const Dataset bars = cnn_test::synthetic_bars(1200, 4, 21);
    const Dataset replay = with_label(bars, 3, false), negatives = with_label(bars, 3, true);
    const Dataset held = cnn_test::synthetic_bars(800, 4, 22);
    const Dataset held_negatives = with_label(held, 3, true), held_digits = with_label(held, 3, false);
    REQUIRE(negatives.n > 200);
    REQUIRE(held_negatives.n > 150);
    const int label = least_read_class(base) == 3 ? 0 : least_read_class(base);
    const Dataset mine = squares(5, 11, label), others = squares(200, 12, label);
    const double kept_before = evaluate(base, held_negatives).accuracy;
    REQUIRE(kept_before > 0.95);

    FineTuneOptions o;
    o.examples_per_batch = 8;
    o.blend = 1.0f;
    Model without = copy_of(base);
    fine_tune(without, mine, replay, o);
    o.negatives_per_batch = 8;
    Model with = copy_of(base);
    const FineTuneResult r = fine_tune(with, mine, replay, negatives, o);
    CHECK(r.examples_right_after == 5);
    const double kept_without = evaluate(without, held_negatives).accuracy;
    const double kept_with = evaluate(with, held_negatives).accuracy;
    INFO("class 3 read right: " << kept_before << " before, " << kept_without << " after without negatives, "
                                << kept_with << " with");
    CHECK(kept_with > 0.9);
    CHECK(kept_without < kept_with - 0.2);
    CHECK(evaluate(with, others).accuracy > 0.9);
    CHECK(evaluate(with, held_digits).accuracy > evaluate(base, held_digits).accuracy - 0.05);
}

TEST_CASE("replay distillation keeps the base model's answers on the replayed digits closer") {
    Model& base = base_model();
    const int label = least_read_class(base);
    const Dataset mine = squares(5, 11, label), replay = cnn_test::synthetic_bars(1200, 4, 1);
    const Dataset bars = cnn_test::synthetic_bars(400, 4, 2);
    std::vector<float> p_base(std::size_t(bars.n) * 4);
    base.predict(bars.images.data(), bars.n, p_base.data());
    // Mean total-variation distance between the base's and the adapted model's answers on the bars.
    const auto drift = [&](float weight) {
        FineTuneOptions o;
        o.steps = 60;
        o.replay_distill = weight;
        Model m = copy_of(base);
        const FineTuneResult r = fine_tune(m, mine, replay, o);
        CHECK(r.examples_right_after == 5);  // the corrections are learnt either way
        std::vector<float> p(p_base.size());
        m.predict(bars.images.data(), bars.n, p.data());
        double d = 0;
        for (std::size_t i = 0; i < p.size(); ++i) d += std::abs(p[i] - p_base[i]);
        return d / (2.0 * bars.n);
    };
    const double labels = drift(0.0f), distilled = drift(1.0f);
    INFO("drift on the bars: labels " << labels << ", distilled " << distilled);
    CHECK(distilled < 0.8 * labels);
    FineTuneOptions bad;
    bad.replay_distill = 1.5f;
    Model m = copy_of(base);
    CHECK_THROWS_WITH(fine_tune(m, mine, replay, bad), Catch::Contains("replay distillation weight"));
}

TEST_CASE("a blended fine-tune ends on the line from the base to the tuned weights, and drifts less") {
    Model& base = base_model();
    const int label = least_read_class(base);
    const Dataset mine = squares(5, 11, label), replay = cnn_test::synthetic_bars(1200, 4, 1);
    const Dataset bars = cnn_test::synthetic_bars(400, 4, 2), others = squares(100, 12, label);
    FineTuneOptions o;
    o.steps = 60;
    o.blend = 1.0f;  // the tuned end itself
    Model tuned = copy_of(base);
    fine_tune(tuned, mine, replay, o);
    o.blend = 0.5f;
    Model half = copy_of(base);
    fine_tune(half, mine, replay, o);
    const auto b = base.params(), t = tuned.params(), h = half.params();
    REQUIRE(b.size() == h.size());
    double moved = 0, off_line = 0;
    for (std::size_t i = 0; i < b.size(); ++i)
        for (std::size_t j = 0; j < b[i].size; ++j) {
            const float expect = b[i].trainable ? b[i].value[j] + 0.5f * (t[i].value[j] - b[i].value[j]) : b[i].value[j];
            off_line = std::max(off_line, double(std::abs(h[i].value[j] - expect)));
            moved = std::max(moved, double(std::abs(h[i].value[j] - b[i].value[j])));
        }
    CHECK(moved > 1e-3);      // it did change
    CHECK(off_line < 1e-6);   // exactly halfway (same seed, same steps)
    // Halfway, the model's answers on the bars stay closer to the base's than the tuned end's do.
    std::vector<float> p_base(std::size_t(bars.n) * 4), p(p_base.size());
    base.predict(bars.images.data(), bars.n, p_base.data());
    const auto drift = [&](Model& m) {
        m.predict(bars.images.data(), bars.n, p.data());
        double d = 0;
        for (std::size_t i = 0; i < p.size(); ++i) d += std::abs(p[i] - p_base[i]);
        return d / (2.0 * bars.n);
    };
    const double drift_tuned = drift(tuned), drift_half = drift(half);
    INFO("drift on the bars: tuned " << drift_tuned << ", blended " << drift_half << "; the style: tuned "
                                     << evaluate(tuned, others).accuracy << ", blended " << evaluate(half, others).accuracy);
    CHECK(drift_half < drift_tuned);
    CHECK(describe(o).find(", blend 0.5, ") != std::string::npos);
    for (const float bad : {0.0f, -0.5f, 1.5f}) {
        FineTuneOptions wrong;
        wrong.blend = bad;
        Model m = copy_of(base);
        CHECK_THROWS_WITH(fine_tune(m, mine, replay, wrong), Catch::Contains("blend"));
    }
}

TEST_CASE("fine-tuning is deterministic for a seed, whatever the thread count") {
    const Dataset mine = squares(4, 21, 1), replay = cnn_test::synthetic_bars(300, 4, 5);
    FineTuneOptions o;
    o.steps = 12;
    o.batch_size = 16;
    o.examples_per_batch = 4;
    const auto run = [&](int threads, std::uint64_t seed) {
        ThreadPool pool(threads);
        Model m = copy_of(base_model());
        FineTuneOptions oo = o;
        oo.seed = seed;
        fine_tune(m, mine, replay, oo, &pool);
        return m.get_values();
    };
    const auto a = run(1, 5);
    CHECK(a == run(1, 5));
    CHECK(a == run(2, 5));
    CHECK(a != run(1, 6));
    CHECK(a != base_model().get_values());
}

TEST_CASE("fine-tuning keeps the batch statistics unless told to update them") {
    const Dataset mine = squares(5, 31, 2), replay = cnn_test::synthetic_bars(300, 4, 6);
    const auto statistics = [](Model& m) {
        std::vector<float> v;
        for (const auto& p : m.params())
            if (!p.trainable) v.insert(v.end(), p.value, p.value + p.size);
        return v;
    };
    const std::vector<float> before = statistics(base_model());
    REQUIRE_FALSE(before.empty());
    FineTuneOptions o;
    o.steps = 10;
    Model kept = copy_of(base_model());
    fine_tune(kept, mine, replay, o);
    CHECK(statistics(kept) == before);
    o.keep_statistics = false;  // frozen statistics (the default) do not move at all
    Model frozen = copy_of(base_model());
    fine_tune(frozen, mine, replay, o);
    CHECK(statistics(frozen) == before);
    o.frozen_statistics = false;
    Model updated = copy_of(base_model());
    fine_tune(updated, mine, replay, o);
    CHECK(statistics(updated) != before);
    o.keep_statistics = true;
    Model restored = copy_of(base_model());
    fine_tune(restored, mine, replay, o);
    CHECK(statistics(restored) == before);
    CHECK(restored.get_values() != frozen.get_values());  // normalised otherwise, so trained otherwise
}

TEST_CASE("head-only fine-tuning changes the layers after the flatten and nothing before") {
    const Dataset mine = squares(5, 51, 3), replay = cnn_test::synthetic_bars(300, 4, 9);
    Model m = copy_of(base_model());
    FineTuneOptions o;
    o.steps = 10;
    o.frozen_statistics = false;
    o.keep_statistics = false;  // so that a frozen layer's statistics could not hide behind a restore
    fine_tune(m, mine, replay, o);
    Model& base = base_model();
    bool after_flatten = false;
    for (std::size_t i = 0; i < m.layer_count(); ++i) {
        if (base.layer(i).kind() == "flatten") after_flatten = true;
        for (std::size_t k = 0; k < m.layer(i).params().size(); ++k) {
            const ParamRef a = m.layer(i).params()[k], b = base.layer(i).params()[k];
            if (!a.trainable) continue;
            INFO(a.name);
            CHECK(std::equal(a.value, a.value + a.size, b.value) == !after_flatten);
        }
    }
    Model no_head = Model::from_spec("input 12x12x1 | conv 4 k3 same | gap", 1);
    CHECK_THROWS_WITH(fine_tune(no_head, squares(2, 1, 1), Dataset{}, FineTuneOptions{}), Catch::Contains("no classifier head"));
    o.head_only = false;
    Model all = copy_of(base_model());
    fine_tune(all, mine, replay, o);
    CHECK(all.layer(0).params()[0].value[0] != base.layer(0).params()[0].value[0]);
}

TEST_CASE("fine-tuning reports progress and stops when the callback says so") {
    const Dataset mine = squares(3, 41, 0), replay = cnn_test::synthetic_bars(200, 4, 7);
    FineTuneOptions o;
    o.steps = 20;
    Model m = copy_of(base_model());
    std::vector<int> seen;
    const FineTuneResult r = fine_tune(m, mine, replay, o, nullptr, [&](int step, int steps, double loss) {
        CHECK(steps == 20);
        CHECK(std::isfinite(loss));
        seen.push_back(step);
        return step < 7;
    });
    CHECK(seen == std::vector<int>{1, 2, 3, 4, 5, 6, 7});
    CHECK(r.steps == 7);
    CHECK(r.cancelled);
}

TEST_CASE("fine-tuning refuses what it cannot learn from") {
    Model m = copy_of(base_model());
    const Dataset replay = cnn_test::synthetic_bars(50, 4, 8);
    FineTuneOptions o;
    CHECK_THROWS_WITH(fine_tune(m, Dataset{}, replay, o), Catch::Contains("at least one example"));
    CHECK_THROWS_WITH(fine_tune(m, cnn_test::synthetic_bars(5, 4, 1, 14), replay, o),
                      Catch::Contains("14x14x1 images, the model takes 12x12x1"));
    CHECK_THROWS_WITH(fine_tune(m, squares(3, 1, 7), replay, o), Catch::Contains("label 7"));
    o.examples_per_batch = 40;
    CHECK_THROWS_WITH(fine_tune(m, squares(3, 1, 1), replay, o), Catch::Contains("examples per batch"));
    o = FineTuneOptions{};
    o.negatives_per_batch = 29;  // 4 examples + 29 > 32
    CHECK_THROWS_WITH(fine_tune(m, squares(3, 1, 1), replay, replay, o), Catch::Contains("negatives per batch must be 0..28"));
    o.negatives_per_batch = 4;
    CHECK_THROWS_WITH(fine_tune(m, squares(3, 1, 1), replay, o), Catch::Contains("asks for 4 negatives per batch but was given none"));
    CHECK_THROWS_WITH(fine_tune(m, squares(3, 1, 1), replay, squares(3, 1, 7), o), Catch::Contains("the negatives: label 7"));
    o.negatives_per_batch = 0;
    CHECK_THROWS_WITH(fine_tune(m, squares(3, 1, 1), replay, replay, o), Catch::Contains("asks for none per batch"));
    o = FineTuneOptions{};
    o.learning_rate = std::nanf("");
    CHECK_THROWS_WITH(fine_tune(m, squares(3, 1, 1), replay, o), Catch::Contains("learning rate"));
    o = FineTuneOptions{};
    o.steps = 0;
    CHECK_THROWS_WITH(fine_tune(m, squares(3, 1, 1), replay, o), Catch::Contains("steps"));
    CHECK(m.get_values() == base_model().get_values());  // nothing refused changed the model
}

TEST_CASE("the fine-tuning settings read as one line for a model's lineage") {
    FineTuneOptions o;
    CHECK(describe(o) ==
          "steps 120, batch 32 (4 examples), lr 0.002, augment rotation 8, scale 0.1, shear 0.15, shift 2, "
          "elastic alpha 0 sigma 4, normalised with the base statistics, head only, blend 0.8, seed 1");
    o.frozen_statistics = false;
    CHECK(describe(o).find(", statistics kept, ") != std::string::npos);
    o.augment_enabled = false;
    o.keep_statistics = false;
    o.head_only = false;
    o.blend = 1.0f;
    CHECK(describe(o) == "steps 120, batch 32 (4 examples), lr 0.002, augment off, statistics updated, all layers, seed 1");
}

TEST_CASE("five corrections teach the shipped robust model seven-segment 6s without costing MNIST") {
    const std::string ti = cnn_test::mnist_path("train-images-idx3-ubyte");
    const std::string tl = cnn_test::mnist_path("train-labels-idx1-ubyte");
    if (ti.empty() || tl.empty()) {
        cnn_test::missing_data("MNIST (run scripts/get-mnist.sh)");
        return;
    }
    Model base = load_weights(std::string(CNN_SOURCE_DIR) + "/weights/robust.dcnn");
    // Boxy 6s drawn on the page's pad: five corrections, then 60 others to read.
    Dataset sixes;
    sixes.shape = {28, 28, 1};
    Rng rng(2024);
    for (int i = 0; i < 65; ++i) {
        PadPlacement place;
        place.extent = rng.uniform(0.5f, 0.85f);
        const Preprocessed p = draw_digit(segment_digit(6, rng), place);
        REQUIRE_FALSE(p.empty);
        sixes.images.insert(sixes.images.end(), p.pixels.begin(), p.pixels.end());
        sixes.labels.push_back(6);
        ++sixes.n;
    }
    const Dataset mine = slice(sixes, 0, 5), others = slice(sixes, 5, 60);
    // Replay from the training part, MNIST read on the validation split (the test set stays unread).
    const auto [replay, validation] = split_validation(load_idx_dataset(ti, tl, 10, PixelStorage::Bytes), 0.1);
    ThreadPool pool(2);
    const double six_before = evaluate(base, others, &pool).accuracy, mnist_before = evaluate(base, validation, &pool).accuracy;
    INFO("seven-segment 6s read right before: " << six_before);
    REQUIRE(six_before < 0.5);
    const FineTuneResult r = fine_tune(base, mine, replay, FineTuneOptions{}, &pool);
    const double six_after = evaluate(base, others, &pool).accuracy, mnist_after = evaluate(base, validation, &pool).accuracy;
    INFO("6s " << six_before << " -> " << six_after << ", MNIST validation split " << mnist_before << " -> " << mnist_after);
    CHECK(r.examples_right_after == 5);
    CHECK(six_after >= 0.95);
    CHECK(mnist_after >= mnist_before - 0.003);
}
