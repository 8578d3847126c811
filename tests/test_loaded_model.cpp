// A model as the CLI and the page serve it (LoadedModel: network + metadata + what the metadata
// says about inputs and answers), the data helpers both use (split_first, gather), and the one
// manifest layout both write.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <vector>

#include "cnn/base/error.hpp"
#include "cnn/image/deskew.hpp"
#include "cnn/image/input_preprocessing.hpp"
#include "cnn/io/weights_io.hpp"
#include "cnn/model/loaded_model.hpp"
#include "cnn/training/manifest.hpp"
#include "test_util.hpp"

using namespace cnn;

namespace {

constexpr const char* kDigitSpec = "input 28x28x1 | conv 4 k3 | relu | maxpool 2 | flatten | dense 10";

// n slanted bars of 28x28 (deskewing changes them), labels i % classes.
Dataset slanted_bars(int n, int classes = 10) {
    std::vector<std::uint8_t> pixels(std::size_t(n) * 784, 0), labels;
    for (int i = 0; i < n; ++i) {
        for (int y = 4; y < 24; ++y)
            for (int t = 0; t < 3; ++t) pixels[std::size_t(i) * 784 + std::size_t(y * 28 + 6 + y / 2 + t + i % 3)] = 255;
        labels.push_back(std::uint8_t(i % classes));
    }
    return make_byte_dataset({28, 28, 1}, std::move(pixels), std::move(labels), classes);
}

std::vector<float> images_of(const Dataset& d) {
    std::vector<float> v(std::size_t(d.n) * d.shape.size());
    d.copy_images(0, d.n, v.data());
    return v;
}

}  // namespace

TEST_CASE("LoadedModel reads its input preprocessing and reject rule from the metadata, and keeps them in step") {
    LoadedModel m(Model::from_spec(kDigitSpec, 1));
    CHECK(m.metadata() == "{}");
    CHECK(m.input() == InputPreprocessing::mnist);
    CHECK(m.rule().threshold == 0.0f);

    m.set_metadata(R"({"preprocessing": "mnist+deskew", "reject": "temperature 2.0000 threshold 0.5000"})");
    CHECK(m.input() == InputPreprocessing::mnist_deskew);
    CHECK(m.rule().temperature == 2.0f);
    CHECK(m.rule().threshold == 0.5f);

    // Bad metadata is refused and changes nothing: not the text, not the input, not the rule.
    const std::string kept = m.metadata();
    for (const char* bad : {"[1, 2]", "{\"preprocessing\": \"mnist+blur\"}", "{\"reject\": \"temperature -1 threshold 0.5\"}",
                            "{not json"}) {
        INFO(bad);
        CHECK_THROWS_AS(m.set_metadata(bad), Error);
        CHECK(m.metadata() == kept);
        CHECK(m.input() == InputPreprocessing::mnist_deskew);
        CHECK(m.rule().threshold == 0.5f);
    }
}

TEST_CASE("LoadedModel prepares every kind of input as its metadata says, and evaluates on prepared data") {
    const Dataset data = slanted_bars(12);
    LoadedModel plain(Model::from_spec(kDigitSpec, 1));
    LoadedModel deskewed(Model::from_spec(kDigitSpec, 1), R"({"preprocessing": "mnist+deskew"})");

    // MNIST input: the data itself is used (no copy), and prepare changes nothing.
    Dataset scratch;
    CHECK(&plain.prepared(data, scratch) == &data);
    Dataset copy = data;
    plain.prepare(copy);
    CHECK(images_of(copy) == images_of(data));

    // Deskew: each path gives what apply_input_preprocessing gives for one image.
    const std::vector<float> original = images_of(data);
    std::vector<float> want = original;
    for (int i = 0; i < data.n; ++i) apply_input_preprocessing(InputPreprocessing::mnist_deskew, want.data() + i * 784, 28, 28);
    REQUIRE(want != original);
    const Dataset& p = deskewed.prepared(data, scratch);
    CHECK(&p == &scratch);
    // (Byte-held data too: this once deskewed zeros, as the bytes were read after `images` was sized.)
    REQUIRE(data.holds_bytes());
    CHECK(images_of(p) == want);
    std::vector<float> raw = original;
    deskewed.prepare(raw.data(), data.n);
    CHECK(raw == want);
    Preprocessed one;
    one.empty = false;
    one.size = 28;
    one.pixels.assign(original.begin(), original.begin() + 784);
    const Preprocessed prepared = deskewed.prepare(one);
    CHECK(std::vector<float>(prepared.pixels) == std::vector<float>(want.begin(), want.begin() + 784));
    one.empty = true;  // an empty drawing stays as it is
    CHECK(deskewed.prepare(one).pixels == one.pixels);

    // evaluate() reads the prepared images: the same figures as evaluating them directly.
    Model direct = Model::from_spec(kDigitSpec, 1);
    const Evaluation want_ev = evaluate(direct, p);
    const Evaluation ev = deskewed.evaluate(data);
    CHECK(ev.predictions == want_ev.predictions);
    CHECK(ev.loss == want_ev.loss);
}

TEST_CASE("LoadedModel decides under its rule, and refuses a probability row of the wrong length") {
    LoadedModel m(Model::from_spec(kDigitSpec, 1), R"({"reject": "temperature 1.0000 threshold 0.6000"})");
    std::vector<float> p(10, 0.02f);
    p[3] = 0.82f;
    CHECK(m.decide(p.data(), 10).is_digit);
    CHECK(m.decide(p.data(), 10).best == 3);
    p[3] = 0.41f;
    p[5] = 0.41f;
    CHECK_FALSE(m.decide(p.data(), 10).is_digit);
    CHECK_THROWS_WITH(m.decide(p.data(), 9), Catch::Contains("expected 10 probabilities, got 9"));
}

TEST_CASE("decode_loaded_model brings the weights file's metadata along; require_digit_model names what digits need") {
    Model model = Model::from_spec(kDigitSpec, 4);
    const auto bytes = encode_weights(model, R"({"preprocessing": "mnist+deskew", "note": "x"})");
    const LoadedModel m = decode_loaded_model(bytes.data(), bytes.size());
    CHECK(m.input() == InputPreprocessing::mnist_deskew);
    CHECK(nlohmann::json::parse(m.metadata())["note"] == "x");
    CHECK(m.model().spec() == model.spec());
    CHECK_NOTHROW(require_digit_model(m.model()));
    CHECK_NOTHROW(require_digit_model(Model::from_spec("input 28x28x1 | flatten | dense 11", 1)));
    CHECK_THROWS_WITH(require_digit_model(Model::from_spec("input 28x28x1 | flatten | dense 12", 1)),
                      Catch::Contains("12 outputs") && Catch::Contains("10 outputs (or 11"));
    CHECK_THROWS_WITH(require_digit_model(Model::from_spec("input 32x32x1 | flatten | dense 10", 1)),
                      Catch::Contains("32x32x1 input"));
}

TEST_CASE("split_first takes the first `size` samples, then the Keras split of their last fraction") {
    const Dataset data = slanted_bars(50);
    const auto [train, validation] = split_first(data, 20, 0.1);
    CHECK(train.n == 18);
    CHECK(validation.n == 2);
    CHECK(images_of(train) == images_of(slice(data, 0, 18)));
    CHECK(images_of(validation) == images_of(slice(data, 18, 2)));
    CHECK(validation.labels == std::vector<std::uint8_t>{8, 9});
    const auto [all, held] = split_first(data, 0, 0.1);  // 0: all of them
    CHECK(all.n == 45);
    CHECK(held.n == 5);
    CHECK_THROWS_WITH(split_first(data, 51, 0.1), Catch::Contains("between 1 and 50"));
    CHECK_THROWS_WITH(split_first(data, -1, 0.1), Catch::Contains("between 1 and 50"));
    CHECK_THROWS_WITH(split_first(data, 1, 0.5), Catch::Contains("no training samples"));
}

TEST_CASE("gather picks samples in the given order, keeps the storage, and names a bad index") {
    const Dataset data = slanted_bars(10);
    REQUIRE(data.holds_bytes());
    const Dataset g = gather(data, {7, 2, 7});
    CHECK(g.n == 3);
    CHECK(g.holds_bytes());
    CHECK(g.labels == std::vector<std::uint8_t>{7, 2, 7});
    const std::vector<float> all = images_of(data), got = images_of(g);
    CHECK(std::vector<float>(got.begin(), got.begin() + 784) == std::vector<float>(all.begin() + 7 * 784, all.begin() + 8 * 784));
    CHECK(std::vector<float>(got.begin() + 784, got.begin() + 2 * 784) ==
          std::vector<float>(all.begin() + 2 * 784, all.begin() + 3 * 784));
    CHECK(gather(data, {}).n == 0);
    CHECK_THROWS_WITH(gather(data, {3, 10}), Catch::Contains("image 10 is outside the set of 10"));
}

TEST_CASE("the training manifest describes the model, the settings and the run in one layout") {
    Model model = Model::from_spec(kDigitSpec, 1);
    TrainOptions o;
    o.epochs = 3;
    o.batch_size = 32;
    o.learning_rate = 0.002f;
    o.label_smoothing = 0.05f;
    o.seed = 9;
    nlohmann::json m = training_manifest(model, o, InputPreprocessing::mnist_deskew, 900, 100);
    CHECK(m["format"] == "digit-cnn manifest");
    CHECK(m["spec"] == model.spec());
    CHECK(m["preprocessing"] == "mnist+deskew");
    CHECK(m["parameters"] == model.param_count());
    CHECK(m["layers"].size() == model.summary().size());
    CHECK(m["seed"] == 9);
    CHECK(m["training"]["learning_rate"] == 0.002);  // the decimal given, not 0.0020000000949949026
    CHECK(m["training"]["label_smoothing"] == 0.05);
    CHECK(m["training"]["train_samples"] == 900);
    CHECK(m["training"]["validation_samples"] == 100);
    CHECK(m["test_accuracy"].is_null());
    // The metadata it becomes is accepted by LoadedModel with the preprocessing it names.
    CHECK(LoadedModel(Model::from_spec(kDigitSpec, 1), m.dump()).input() == InputPreprocessing::mnist_deskew);

    History h;
    for (int e = 1; e <= 3; ++e) {
        EpochStats s;
        s.epoch = e;
        s.has_validation = true;
        s.val_loss = e == 2 ? 0.1 : 0.3;
        s.val_accuracy = e == 2 ? 0.97 : 0.9;
        s.seconds = 2;
        s.images_per_second = 450;
        h.epochs.push_back(s);
    }
    h.best_epoch = 2;
    add_run_results(m, h, true);
    CHECK(m["epochs_run"] == 3);
    CHECK(m["weights_from_epoch"] == 2);
    CHECK(m["best_val_accuracy"] == 0.97);
    CHECK(m["images_per_second"] == 450.0);
    add_run_results(m, h, false);
    CHECK(m["weights_from_epoch"] == 3);  // without restore-best the last epoch's weights stay

    Evaluation ev;
    ev.n = 100;
    ev.accuracy = 0.93;
    ev.loss = 0.25;
    add_test_results(m, ev);
    CHECK(m["test_accuracy"] == 0.93);
    CHECK(m["test_images"] == 100);
}
