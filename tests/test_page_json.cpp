// The page's options as core reads them (training/page_json): the page's defaults when a field is
// absent, every field reaching its setting, and a clear error for a misspelt, null or mistyped one.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "cnn/base/error.hpp"
#include "cnn/model/spec.hpp"
#include "cnn/training/page_json.hpp"

using namespace cnn;
using Catch::Matchers::Contains;

TEST_CASE("page_json: absent training options take the page's defaults") {
    for (const char* empty : {"{}", "null"}) {
        const RunSettings s = run_settings_from_json(empty);
        CHECK(s.spec == kSeedSpec);
        CHECK(s.train_size == 0);
        CHECK(s.options.seed == 1);
        CHECK(s.options.epochs == 1);
        CHECK(s.options.batch_size == 64);
        CHECK(s.options.learning_rate == 1e-3f);
        CHECK(s.options.patience == 5);
        CHECK_FALSE(s.options.augment_enabled);
        CHECK(s.options.lr_schedule.decay == LrDecay::Constant);
        CHECK(s.options.label_smoothing == 0.0f);
        CHECK(s.options.validation_split == 0.1);
    }
}

TEST_CASE("page_json: every training option reaches its setting") {
    const RunSettings s = run_settings_from_json(
        R"({"spec":"input 28x28x1 | flatten | dense 10","seed":7,"epochs":3,"batchSize":32,"learningRate":0.002,)"
        R"("trainSize":1200,"validationSplit":0.2,"patience":0,"augment":true,"lrSchedule":"cosine","labelSmoothing":0.1})");
    CHECK(s.spec == "input 28x28x1 | flatten | dense 10");
    CHECK(s.options.seed == 7);
    CHECK(s.options.epochs == 3);
    CHECK(s.options.batch_size == 32);
    CHECK(s.options.learning_rate == 0.002f);
    CHECK(s.train_size == 1200);
    CHECK(s.options.validation_split == 0.2);
    CHECK(s.options.patience == 0);
    CHECK(s.options.augment_enabled);
    CHECK(s.options.lr_schedule.decay == LrDecay::Cosine);
    CHECK(s.options.label_smoothing == 0.1f);
}

TEST_CASE("page_json: bad training options are refused with the option's name") {
    CHECK_THROWS_WITH(run_settings_from_json(R"({"epoch":2})"),
                      Contains("unknown training option 'epoch'") && Contains("known: spec, seed, epochs"));
    // JSON.stringify writes NaN and Infinity as null: refused, not silently the default.
    CHECK_THROWS_WITH(run_settings_from_json(R"({"learningRate":null})"),
                      Contains("training option 'learningRate' is not a finite value"));
    CHECK_THROWS_WITH(run_settings_from_json(R"({"epochs":"3"})"), Contains("training option 'epochs' must be a number"));
    CHECK_THROWS_WITH(run_settings_from_json(R"({"epochs":2.5})"), Contains("'epochs' must be a whole number"));
    CHECK_THROWS_WITH(run_settings_from_json(R"({"epochs":1e12})"), Contains("'epochs' is out of range"));
    CHECK_THROWS_WITH(run_settings_from_json(R"({"seed":-1})"), Contains("'seed' must not be negative"));
    CHECK_THROWS_WITH(run_settings_from_json(R"({"augment":1})"), Contains("'augment' must be true or false"));
    CHECK_THROWS_WITH(run_settings_from_json(R"({"spec":5})"), Contains("'spec' must be a string"));
    CHECK_THROWS_WITH(run_settings_from_json(R"({"lrSchedule":"exponential"})"),
                      Contains("unknown learning-rate schedule 'exponential'"));
    CHECK_THROWS_WITH(run_settings_from_json("{epochs: 2}"), Contains("training options are not valid JSON"));
    CHECK_THROWS_WITH(run_settings_from_json("[1]"), Contains("training options must be an object"));
}

TEST_CASE("page_json: adapting options, defaults, fields and errors") {
    const FineTuneOptions defaults;
    const FineTuneOptions d = fine_tune_options_from_json("{}");
    CHECK(d.steps == defaults.steps);
    CHECK(d.batch_size == defaults.batch_size);
    CHECK(d.examples_per_batch == defaults.examples_per_batch);
    CHECK(d.learning_rate == defaults.learning_rate);
    CHECK(d.augment_enabled == defaults.augment_enabled);
    CHECK(d.blend == defaults.blend);
    CHECK(d.seed == defaults.seed);
    const FineTuneOptions o = fine_tune_options_from_json(
        R"({"steps":10,"batchSize":16,"examplesPerBatch":4,"learningRate":0.01,"augment":false,"blend":0.6,"seed":9})");
    CHECK(o.steps == 10);
    CHECK(o.batch_size == 16);
    CHECK(o.examples_per_batch == 4);
    CHECK(o.learning_rate == 0.01f);
    CHECK_FALSE(o.augment_enabled);
    CHECK(o.blend == 0.6f);
    CHECK(o.seed == 9);
    CHECK_THROWS_WITH(fine_tune_options_from_json(R"({"step":10})"), Contains("unknown adapting option 'step'"));
    CHECK_THROWS_AS(fine_tune_options_from_json(R"({"steps":0})"), Error);  // validate()'s range
    CHECK_THROWS_WITH(fine_tune_options_from_json(R"({"blend":0})"), Contains("blend"));
    // A gate adapts with core's gate settings on top of the reader's: negatives in every batch, no
    // blend back toward the base; the rest as given.
    CHECK(d.negatives_per_batch == 0);
    const FineTuneOptions g = fine_tune_options_from_json(R"({"steps":10,"blend":0.6,"gate":true})");
    CHECK(g.negatives_per_batch == kGateNegativesPerBatch);
    CHECK(g.negatives_per_batch > 0);
    CHECK(g.blend == 1.0f);
    CHECK(g.steps == 10);
    CHECK(g.examples_per_batch == defaults.examples_per_batch);
    CHECK(fine_tune_options_from_json(R"({"negativesPerBatch":6})").negatives_per_batch == 6);
    CHECK_THROWS_WITH(fine_tune_options_from_json(R"({"negativesPerBatch":29})"), Contains("negatives per batch must be 0..28"));
}

TEST_CASE("page_json: reports carry the page's field names and values") {
    EpochStats s;
    s.epoch = 2;
    s.val_accuracy = 0.5;
    s.has_validation = true;
    s.improved = true;
    const auto e = nlohmann::json::parse(epoch_json(s));
    CHECK(e.at("epoch") == 2);
    CHECK(e.at("valAccuracy") == 0.5);
    CHECK(e.at("hasValidation") == true);
    CHECK(e.at("improved") == true);
    CHECK(e.size() == 9);
    Progress p;
    p.batch = 7;
    p.eta_seconds = 1.5;
    const auto q = nlohmann::json::parse(progress_json(p));
    CHECK(q.at("batch") == 7);
    CHECK(q.at("etaSeconds") == 1.5);
    CHECK(q.size() == 9);
    FineTuneResult r;
    r.examples_right_after = 3;
    const auto f = nlohmann::json::parse(fine_tune_json(r, 5, FineTuneOptions{}));
    CHECK(f.at("rightAfter") == 3);
    CHECK(f.at("examples") == 5);
    CHECK(f.at("settings") == describe(FineTuneOptions{}));
}
