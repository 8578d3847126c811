// The page's working state in core (Workbench): what each step needs before it, that a refused
// step keeps what the user had, and that a run's manifest carries its results.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <vector>

#include "cnn/base/error.hpp"
#include "cnn/io/checkpoint.hpp"
#include "cnn/io/weights_io.hpp"
#include "cnn/training/workbench.hpp"
#include "test_util.hpp"

using namespace cnn;

namespace {

constexpr const char* kDigitSpec = "input 28x28x1 | conv 4 k3 | relu | maxpool 2 | flatten | dense 10";

RunSettings settings(int epochs) {
    RunSettings s;
    s.spec = kDigitSpec;
    s.options.epochs = epochs;
    s.options.batch_size = 10;
    s.options.seed = 3;
    return s;
}

}  // namespace

TEST_CASE("Workbench: each step says what it needs first") {
    Workbench wb;
    CHECK(wb.model().model().spec() == Model::from_spec(kSeedSpec, 1).spec());
    CHECK_THROWS_WITH(wb.data("test"), "no MNIST data loaded");
    CHECK_THROWS_WITH(wb.trainer(), "training has not been started");
    CHECK_THROWS_WITH(wb.training_metadata(), "training has not been started");
    CHECK_THROWS_WITH(wb.evaluate_test(), "no MNIST data loaded");
    CHECK_THROWS_WITH(wb.start(settings(1), "here"), "no MNIST data loaded");
    wb.set_data(cnn_test::column_bars(100), cnn_test::column_bars(20));
    CHECK_THROWS_WITH(wb.data("validation"), "no data set named 'validation'");
    CHECK(wb.data("train").n == 100);
    CHECK(wb.data("test").n == 20);
    CHECK(wb.set_threads(0) == 1);
    CHECK(wb.set_threads(2) == 2);
    CHECK(wb.threads() == 2);
}

TEST_CASE("Workbench: a refused run or file keeps the model the user had") {
    Workbench wb;
    wb.set_data(cnn_test::column_bars(100), cnn_test::column_bars(20));
    wb.replace_model(LoadedModel(Model::from_spec(kDigitSpec, 5), R"({"note": "mine"})"));
    const auto before = encode_weights(wb.model().model(), wb.model().metadata());

    RunSettings bad = settings(0);  // the trainer refuses 0 epochs after the fresh model is built
    CHECK_THROWS_WITH(wb.start(bad, "here"), "epochs must be at least 1");
    RunSettings wrong_output = settings(1);
    wrong_output.spec = "input 28x28x1 | conv 4 k3";
    CHECK_THROWS_WITH(wb.start(wrong_output, "here"), Catch::Contains("flatten | dense 10"));
    RunSettings too_many = settings(1);
    too_many.train_size = 500;
    CHECK_THROWS_AS(wb.start(too_many, "here"), Error);
    Model three = Model::from_spec("input 28x28x1 | flatten | dense 3", 1);
    const std::vector<std::uint8_t> not_digits = encode_weights(three, "{}");
    CHECK_THROWS_WITH(wb.load_model(not_digits.data(), not_digits.size()), Catch::Contains("3 outputs"));

    CHECK(encode_weights(wb.model().model(), wb.model().metadata()) == before);
    CHECK_FALSE(wb.has_run());
}

TEST_CASE("Workbench: a run trains, holds threads and adapting until it ends, and its manifest has the results") {
    Workbench wb;
    wb.set_data(cnn_test::column_bars(200), cnn_test::column_bars(50));
    RunSettings s = settings(2);
    s.train_size = 100;
    wb.start(s, "in a test");
    CHECK(wb.train_split().n == 90);
    CHECK(wb.validation_split().n == 10);
    CHECK(wb.running());
    wb.trainer().run(3);
    CHECK_THROWS_WITH(wb.set_threads(2), "cannot change threads while training");
    const Dataset mine = cnn_test::column_bars(5);
    CHECK_THROWS_WITH(wb.fine_tune(mine, FineTuneOptions{}), Catch::Contains("a training run is in progress"));

    // A checkpoint taken mid-run resumes on a second workbench to the same weights.
    const std::vector<std::uint8_t> ckpt = wb.checkpoint();
    // A start refused mid-run leaves the run to go on exactly as it would have.
    CHECK_THROWS_WITH(wb.start(settings(0), "here"), "epochs must be at least 1");
    CHECK(wb.running());
    wb.trainer().run(1000);
    CHECK_FALSE(wb.running());
    Workbench again;
    again.set_data(cnn_test::column_bars(200), cnn_test::column_bars(50));
    Checkpoint c = decode_checkpoint(ckpt.data(), ckpt.size());
    again.start(s, "in a test", &c);
    again.trainer().run(1000);
    CHECK(encode_weights(again.model().model(), "{}") == encode_weights(wb.model().model(), "{}"));

    const Evaluation ev = wb.evaluate_test();
    CHECK(ev.n == 50);
    const nlohmann::json m = nlohmann::json::parse(wb.training_metadata());
    CHECK(m["format"] == "digit-cnn manifest");
    CHECK(m["trained"] == "in a test");
    CHECK(m["training"]["train_samples"] == 90);
    CHECK(m["epochs_run"] == 2);
    CHECK(m["test_images"] == 50);
    CHECK(m["test_accuracy"] == ev.accuracy);

    // A refused start keeps the finished run: its model, history and manifest.
    const auto trained = encode_weights(wb.model().model(), "{}");
    const std::string manifest = wb.training_metadata();
    CHECK_THROWS_WITH(wb.start(settings(0), "here"), "epochs must be at least 1");
    CHECK(wb.has_run());
    CHECK(wb.trainer().history().epochs.size() == 2);
    CHECK(wb.training_metadata() == manifest);
    CHECK(encode_weights(wb.model().model(), "{}") == trained);

    // After the run: threads may change (the run ends with it) and the model adapts.
    const FineTuneResult r = wb.fine_tune(mine, FineTuneOptions{});
    CHECK(r.steps == FineTuneOptions{}.steps);
    CHECK(wb.set_threads(2) == 2);
    CHECK_FALSE(wb.has_run());
}
