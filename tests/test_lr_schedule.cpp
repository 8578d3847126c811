// Learning-rate schedules, and the trainer applying them and augmentation: values at known points,
// determinism, and the options recorded for resumable runs.
#include <catch2/catch.hpp>

#include <cmath>

#include "cnn/base/error.hpp"
#include "cnn/model/metrics.hpp"
#include "cnn/training/lr_schedule.hpp"
#include "cnn/training/trainer.hpp"
#include "test_util.hpp"

using namespace cnn;

TEST_CASE("constant, cosine and step schedules give the rates they promise") {
    LrSchedule s;
    CHECK(scheduled_learning_rate(s, 0.01f, 3.7, 10) == 0.01f);

    s.decay = LrDecay::Cosine;
    CHECK(scheduled_learning_rate(s, 1.0f, 0.0, 10) == Approx(1.0));
    CHECK(scheduled_learning_rate(s, 1.0f, 5.0, 10) == Approx(0.5));
    CHECK(scheduled_learning_rate(s, 1.0f, 10.0, 10) == Approx(0.0).margin(1e-7));
    CHECK(scheduled_learning_rate(s, 1.0f, 9.99, 10) > 0.0f);
    s.min_factor = 0.1;
    CHECK(scheduled_learning_rate(s, 2.0f, 10.0, 10) == Approx(0.2));
    CHECK(scheduled_learning_rate(s, 2.0f, 5.0, 10) == Approx(2.0 * (0.1 + 0.9 * 0.5)));
    float previous = 3.0f;
    for (double p = 0.05; p < 10; p += 0.1) {
        const float lr = scheduled_learning_rate(s, 2.0f, p, 10);
        REQUIRE(lr <= previous);
        previous = lr;
    }

    s = LrSchedule{};
    s.decay = LrDecay::Step;
    s.step_epochs = 3;
    s.step_factor = 0.5;
    CHECK(scheduled_learning_rate(s, 1.0f, 0.5, 10) == 1.0f);
    CHECK(scheduled_learning_rate(s, 1.0f, 2.99, 10) == 1.0f);
    CHECK(scheduled_learning_rate(s, 1.0f, 3.01, 10) == 0.5f);
    CHECK(scheduled_learning_rate(s, 1.0f, 9.5, 10) == 0.125f);

    // Warmup ramps linearly from the start, then the decay spans the remaining epochs.
    s = LrSchedule{};
    s.decay = LrDecay::Cosine;
    s.warmup_epochs = 2;
    CHECK(scheduled_learning_rate(s, 1.0f, 0.5, 12) == Approx(0.25));
    CHECK(scheduled_learning_rate(s, 1.0f, 1.5, 12) == Approx(0.75));
    CHECK(scheduled_learning_rate(s, 1.0f, 2.0, 12) == Approx(1.0));
    CHECK(scheduled_learning_rate(s, 1.0f, 7.0, 12) == Approx(0.5));
}

TEST_CASE("schedules parse, describe themselves and refuse bad settings") {
    CHECK(parse_lr_decay("cosine") == LrDecay::Cosine);
    CHECK(to_string(parse_lr_decay("step")) == "step");
    CHECK(to_string(parse_lr_decay("constant")) == "constant");
    CHECK_THROWS_WITH(parse_lr_decay("linear"), Catch::Contains("known: constant, cosine, step"));
    LrSchedule s;
    s.decay = LrDecay::Cosine;
    s.warmup_epochs = 1;
    CHECK(describe(s, 20) == "cosine to x0 over 20 epochs, warmup 1 epochs");
    s.decay = LrDecay::Step;
    CHECK(describe(s, 20) == "step x0.1 every 10 epochs, warmup 1 epochs");
    CHECK(describe(LrSchedule{}, 20) == "constant");
    s.step_factor = 0;
    CHECK_THROWS_WITH(validate(s), Catch::Contains("step schedule's factor"));
    s = LrSchedule{};
    s.warmup_epochs = -1;
    CHECK_THROWS_WITH(validate(s), Catch::Contains("warmup"));
}

namespace {
const char* kBarsSpec = "input 12x12x1 | conv 8 k3 same | relu | maxpool 2 | flatten | dense 32 | relu | dense 4";
}

TEST_CASE("the trainer sets the scheduled rate before every batch") {
    const Dataset train = cnn_test::synthetic_bars(200, 4, 3);
    Model m = Model::from_spec(kBarsSpec, 3);
    TrainOptions o;
    o.epochs = 4;
    o.batch_size = 50;
    o.validation_split = 0;  // 4 batches per epoch
    o.learning_rate = 0.01f;
    o.lr_schedule.decay = LrDecay::Cosine;
    o.lr_schedule.warmup_epochs = 1;
    Trainer t(m, train, nullptr, o);
    for (int batch = 0; batch < 16; ++batch) {
        t.run(1);
        const double progress = (batch + 0.5) / 4.0;
        INFO("batch " << batch);
        CHECK(t.state().learning_rate == Approx(scheduled_learning_rate(o.lr_schedule, 0.01f, progress, 4)));
    }
    CHECK(t.done());
    // Recorded with the run, so that a resumed run cannot silently change it.
    bool found = false;
    for (const auto& kv : t.state().settings)
        if (kv.first == "learning-rate schedule") found = kv.second == "cosine to x0 over 4 epochs, warmup 1 epochs";
    CHECK(found);
}

TEST_CASE("augmented training is deterministic for a seed, independent of threads, and still learns") {
    const Dataset train = cnn_test::synthetic_bars(600, 4, 5);
    const Dataset test = cnn_test::synthetic_bars(200, 4, 6);
    TrainOptions o;
    o.epochs = 5;
    o.batch_size = 20;
    o.seed = 77;
    o.augment_enabled = true;
    o.augment.rotation = 8;  // bars are told apart by their angle: keep rotations small
    o.augment.shift = 1;
    o.augment.elastic_alpha = 8;
    o.augment.elastic_sigma = 3;
    auto run = [&](int threads, bool augment, double* accuracy = nullptr) {
        ThreadPool pool(threads);
        Model m = Model::from_spec(kBarsSpec, 9);
        TrainOptions oo = o;
        oo.augment_enabled = augment;
        fit(m, train, nullptr, oo, &pool);
        if (accuracy) *accuracy = evaluate(m, test, &pool).accuracy;
        return m.get_values();
    };
    double accuracy = 0;
    const auto a = run(1, true, &accuracy);
    CHECK(a == run(2, true));
    CHECK(a != run(1, false));
    INFO("accuracy with augmentation " << accuracy);
    CHECK(accuracy > 0.9);

    o.augment.scale = 1.5f;
    Model m = Model::from_spec(kBarsSpec, 9);
    CHECK_THROWS_WITH(fit(m, train, nullptr, o), Catch::Contains("augmentation scale range"));
}

TEST_CASE("a run with augmentation and a schedule resumes exactly from its state") {
    const Dataset train = cnn_test::synthetic_bars(240, 4, 7);
    TrainOptions o;
    o.epochs = 3;
    o.batch_size = 40;  // 5 batches per epoch after the validation split
    o.augment_enabled = true;
    o.augment.rotation = 8;
    o.augment.elastic_alpha = 8;
    o.lr_schedule.decay = LrDecay::Cosine;
    o.lr_schedule.warmup_epochs = 0.5;
    Model full = Model::from_spec(kBarsSpec, 4);
    fit(full, train, nullptr, o);
    for (int first : {2, 5, 8}) {
        INFO("stopped after " << first << " batches");
        TrainerState state;
        std::vector<float> values;
        {
            Model m = Model::from_spec(kBarsSpec, 4);
            Trainer t(m, train, nullptr, o);
            t.run(first);
            state = t.state();
            values = m.get_values();
        }
        Model m = Model::from_spec(kBarsSpec, 4);
        m.set_values(values);
        Trainer t(m, train, nullptr, o);
        t.restore(state);
        while (!t.done()) t.run(100);
        CHECK(m.get_values() == full.get_values());
    }
    // Another augmentation or schedule is another run: restore refuses it by name.
    Model m = Model::from_spec(kBarsSpec, 4);
    Trainer t(m, train, nullptr, o);
    t.run(2);
    TrainOptions other = o;
    other.augment.rotation = 9;
    Trainer u(m, train, nullptr, other);
    CHECK_THROWS_WITH(u.restore(t.state()), Catch::Contains("augmentation"));
    other = o;
    other.epochs = 4;  // the cosine spans the epochs
    Trainer v(m, train, nullptr, other);
    CHECK_THROWS_WITH(v.restore(t.state()), Catch::Contains("learning-rate schedule cosine"));
}
