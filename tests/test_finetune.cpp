// Fine-tuning on a user's corrections: it teaches a style the model misreads, replay keeps what the
// model knew, it is deterministic for a seed whatever the threads, and it refuses bad input.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "cnn/error.hpp"
#include "cnn/finetune.hpp"
#include "cnn/metrics.hpp"
#include "cnn/trainer.hpp"
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
    o.keep_statistics = false;
    Model updated = copy_of(base_model());
    fine_tune(updated, mine, replay, o);
    CHECK(statistics(updated) != before);
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
          "steps 80, batch 32 (8 examples), lr 0.0005, augment rotation 8, scale 0.1, shear 0.15, shift 2, "
          "elastic alpha 0 sigma 4, statistics kept, seed 1");
    o.augment_enabled = false;
    o.keep_statistics = false;
    CHECK(describe(o) == "steps 80, batch 32 (8 examples), lr 0.0005, augment off, statistics updated, seed 1");
}
